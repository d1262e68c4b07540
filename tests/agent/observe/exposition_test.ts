/**
 * The exposition writer against the strict parser: escaping of help texts
 * and label values, special float values, empty families, and refusing a
 * repeated or malformed name.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Exposition, formatValue } from "../../../agent/observe/exposition.ts";
import { parseExposition } from "./_exposition_parser.ts";

Deno.test("exposition: escaped labels and help, special values, empty families parse strictly", () => {
  const text = new Exposition()
    .family("a_total", "counter", "help with \\ and\nnewline", [
      [{ id: 'quote " back \\ line\nend' }, 3],
      [{ id: "plain" }, 0.5],
    ])
    .family("b", "gauge", "nothing yet", [])
    .family("c", "gauge", "special", [
      [{ v: "nan" }, NaN],
      [{ v: "inf" }, Infinity],
      [{ v: "-inf" }, -Infinity],
    ])
    .family("d", "gauge", "plain", 42)
    .text();
  const families = parseExposition(text);
  const a = families.get("a_total")!;
  assert.equal(a.type, "counter");
  assert.equal(a.help, "help with \\ and\nnewline");
  assert.deepEqual(a.samples[0].labels, { id: 'quote " back \\ line\nend' });
  assert.equal(a.samples[1].value, 0.5);
  assert.deepEqual(families.get("b")!.samples, []);
  const c = families.get("c")!.samples.map((s) => s.value);
  assert.ok(Number.isNaN(c[0]));
  assert.deepEqual(c.slice(1), [Infinity, -Infinity]);
  assert.equal(families.get("d")!.samples[0].value, 42);
  assert.equal(formatValue(1e-7), "1e-7");
});

Deno.test("exposition: a repeated or malformed family name is refused", () => {
  const out = new Exposition().family("x", "gauge", "x", 1);
  assert.throws(() => out.family("x", "gauge", "again", 2), /repeated/);
  assert.throws(() => out.family("1bad", "gauge", "bad", 2), /bad/);
});

Deno.test("exposition parser: catches what a sloppy writer gets wrong", () => {
  const bad = [
    "x 1\n",
    "# TYPE x gauge\nx 1\n",
    '# HELP x h\n# TYPE x gauge\nx{a="b\\q"} 1\n',
    "# HELP x h\n# TYPE x gauge\nx 1\nx 2\n",
    "# HELP x h\n# TYPE x gauge\ny 1\n",
    "# HELP x h\n# TYPE x gauge\nx one\n",
    "# HELP x h\n# TYPE x gauge\nx 1",
  ];
  for (const text of bad) {
    assert.throws(() => parseExposition(text), Error, text);
  }
});
