/**
 * The compiled binary. `deno compile` needs a denort runtime, which it
 * downloads; offline this test runs only when one is given (DENORT_BIN,
 * DENORT_BIN_X86_64) or cached, and is skipped with that reason otherwise.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Arch, compile, runtimeFor } from "../../scripts/compile.ts";

const arch: Arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
const runtime = await runtimeFor(arch, true);

Deno.test({
  name: runtime
    ? `compiled ${arch} binary runs the CLI`
    : `compiled ${arch} binary runs the CLI (skipped: no denort runtime offline; set DENORT_BIN_${arch.toUpperCase()} or DENORT_BIN to a denort ${Deno.version.deno} binary)`,
  ignore: runtime === undefined,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const binary = await compile(arch, out, runtime!);
      const seed = join(out, "seed");
      const run = (args: string[]) =>
        new Deno.Command(binary, { args, stdout: "piped", stderr: "piped" })
          .output();
      const identity = await run(["identity", "--seed", seed]);
      assert.equal(identity.code, 0);
      assert.match(
        new TextDecoder().decode(identity.stdout),
        /^12D3KooW\w+\n$/,
      );
      const bad = await run(["run", "--bogus"]);
      assert.equal(bad.code, 2);
      assert.match(new TextDecoder().decode(bad.stderr), /--bogus/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
