/**
 * `auki-edge --version` and `auki-edge version`, run as processes: the
 * version of deno.json, the Deno and V8 versions and the target.
 *
 * @module
 */
import assert from "node:assert/strict";
import project from "../../../deno.json" with { type: "json" };
import { runCli } from "../../../scripts/harness/agent_process.ts";

Deno.test("--version and version print the version, Deno, V8 and the target", async () => {
  const [flag, command, help] = await Promise.all([
    runCli(["--version"]),
    runCli(["version"]),
    runCli(["version", "--help"]),
  ]);
  for (const result of [flag, command]) {
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.deepEqual(result.stdout.trimEnd().split("\n"), [
      `auki-edge ${project.version}`,
      `deno ${Deno.version.deno}`,
      `v8 ${Deno.version.v8}`,
      `target ${Deno.build.target}`,
    ]);
  }
  assert.match(project.version, /^\d+\.\d+\.\d+/);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: auki-edge version/);
});

Deno.test("version takes no arguments", async () => {
  const result = await runCli(["version", "extra"]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr.trim(),
    /^auki-edge version: unexpected argument "extra"$/,
  );
});
