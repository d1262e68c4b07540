/**
 * Warnings limited per key and overall: one line per key and interval, the
 * suppressed counts on the next line written, and a cap on all keys.
 *
 * @module
 */
import assert from "node:assert/strict";
import { rateLimitedByKey } from "../../core/keyed_rate_limit.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("rateLimitedByKey: one line per key and interval, then the suppressed count", async () => {
  const lines: string[] = [];
  const warn = rateLimitedByKey(100, (m) => lines.push(m));
  for (let i = 0; i < 5; i++) warn("peer-a", `bad ${i}`);
  warn("peer-b", "bad b");
  assert.deepEqual(lines, ["bad 0", "bad b"]);
  await sleep(150);
  warn("peer-a", "bad again");
  assert.equal(lines.at(-1), "bad again (4 more like it suppressed)");
});

Deno.test("rateLimitedByKey: all keys together write at most the cap per interval", async () => {
  const lines: string[] = [];
  const warn = rateLimitedByKey(100, (m) => lines.push(m), 3);
  for (let i = 0; i < 10; i++) warn(`peer-${i}`, `from ${i}`);
  assert.deepEqual(lines, ["from 0", "from 1", "from 2"]);
  await sleep(150);
  warn("peer-new", "later");
  assert.equal(lines.at(-1), "later (7 more from others suppressed)");
});
