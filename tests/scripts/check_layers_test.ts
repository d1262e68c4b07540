import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  lineCount,
  MAX_LINES,
  mayImport,
  specifiersOf,
} from "../../scripts/check_layers.ts";
import { withDir } from "../helpers/temp_dir.ts";

const SCRIPT = new URL("../../scripts/check_layers.ts", import.meta.url)
  .pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

async function run(root: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", SCRIPT, root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: text(output.stdout),
    stderr: text(output.stderr),
  };
}

function withTree(
  files: Record<string, string>,
  work: (root: string) => Promise<void>,
): Promise<void> {
  return withDir(async (root) => {
    for (const [path, source] of Object.entries(files)) {
      await mkdir(join(root, dirname(path)), { recursive: true });
      await writeFile(join(root, path), source);
    }
    await work(root);
  }, "check-layers-");
}

/** A source of `n` lines. */
const lines = (n: number) => "export const x = 1;\n".repeat(n);

Deno.test("the repository's imports follow the layer stack and no product file is over 600 lines", async () => {
  const { code, stdout, stderr } = await run(ROOT);
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.equal(
    stdout,
    "every import follows the layer stack; no product file is over 600 lines\n",
  );
});

Deno.test("a hand-written product file over 600 lines fails with one line each; generated code and tests do not count", async () => {
  assert.equal(MAX_LINES, 600);
  await withTree({
    "agent/at_limit.ts": lines(600),
    "agent/cluster/long.ts": lines(601),
    "main.ts": lines(700),
    "ffi/libc.ts": lines(650),
    "core/proto/gen/auki/big_pb.ts": lines(5000),
    "tests/agent/long_test.ts": lines(5000),
    "docs/long.ts": lines(5000),
  }, async (root) => {
    const { code, stdout, stderr } = await run(root);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.deepEqual(stderr.trimEnd().split("\n"), [
      "ffi/libc.ts: 650 lines (a hand-written product file holds at most 600; split it by job)",
      "agent/cluster/long.ts: 601 lines (a hand-written product file holds at most 600; split it by job)",
      "main.ts: 700 lines (a hand-written product file holds at most 600; split it by job)",
    ]);
  });
});

Deno.test("lineCount counts lines as wc -l does, plus an unterminated last line", () => {
  assert.equal(lineCount(""), 0);
  assert.equal(lineCount("a\n"), 1);
  assert.equal(lineCount("a\nb"), 2);
  assert.equal(lineCount("a\n\nb\n"), 3);
});

Deno.test("an import down the stack passes, one up the stack fails with one line each", async () => {
  await withTree({
    "core/logging.ts": `export const x = 1;\n`,
    "drivers/driver.ts": `import { x } from "../core/logging.ts";\n`,
    "drivers/registry.ts": `export const y = 2;\n`,
    "agent/ok.ts": `import type { x } from "../drivers/driver.ts";\n`,
    "agent/bad.ts": `export { y } from "../drivers/registry.ts";\n`,
    "core/bad.ts":
      `const m = await import("../agent/ok.ts");\nconst u = new URL(\n  "../cli/x.ts",\n  import.meta.url,\n);\n`,
    "tests/any_test.ts": `import "../cli/x.ts";\n`,
  }, async (root) => {
    const { code, stdout, stderr } = await run(root);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.deepEqual(stderr.trimEnd().split("\n"), [
      "core/bad.ts: imports agent/ok.ts (layer core may not import layer agent)",
      "core/bad.ts: imports cli/x.ts (layer core may not import layer cli)",
      "agent/bad.ts: imports drivers/registry.ts (layer agent may not import layer drivers)",
    ]);
  });
});

Deno.test("mayImport allows a layer itself, the layers below and single contract files", () => {
  assert.equal(mayImport("drivers", "drivers/serial/device.ts"), true);
  assert.equal(mayImport("drivers", "calibration/board.ts"), true);
  assert.equal(mayImport("calibration", "drivers/camera/sim.ts"), false);
  assert.equal(mayImport("agent", "drivers/driver.ts"), true);
  assert.equal(mayImport("scripts", "tests/helpers/serial.ts"), false);
  assert.equal(mayImport("main.ts", "cli/main.ts"), true);
});

Deno.test("specifiersOf finds every relative specifier form", () => {
  assert.deepEqual(
    specifiersOf(`import a from "./a.ts";
import type { B } from "../b.ts";
export * from "./c.ts";
import "./d.ts";
const e = await import("./e.ts");
const f = new URL("../f/", import.meta.url);
import { g } from "npm:g";`),
    ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts", "../f/"],
  );
});
