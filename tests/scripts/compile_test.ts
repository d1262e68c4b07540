/**
 * The compiled binary. `deno compile` needs a denort runtime, which it
 * downloads; offline this test runs only when one is given (DENORT_BIN,
 * DENORT_BIN_X86_64) or cached, and is skipped with that reason otherwise.
 * With a C compiler the binary embeds the reference drivers and must serve
 * one, loaded by name from the cache it extracts them to.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withClient } from "../../cli/client.ts";
import { catalogRows, delay } from "../e2e/_helpers.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import {
  type Arch,
  compile,
  nativeIncludes,
  runtimeFor,
} from "../../scripts/compile.ts";
import { findCompiler } from "../../scripts/build_ffi.ts";

const arch: Arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
const runtime = await runtimeFor(arch, true);
const cc = await findCompiler();

/**
 * Runs `binary` as an agent with a `native` sensor on the bundled
 * `ref_joints` driver: its row must appear, and the library must have been
 * extracted into the native cache.
 */
async function assertServesBundledDriver(binary: string, dir: string) {
  const cache = join(dir, "native-cache");
  const agent = await startAgent({
    command: [binary],
    env: { AUKI_EDGE_NATIVE_CACHE: cache },
    config: {
      sensors: [{ driver: "native", id: "joints", library: "ref_joints" }],
    },
  });
  try {
    const row = await withClient(async (node) => {
      for (let tries = 0; tries < 100; tries++) {
        const found = (await catalogRows(node, agent.address)).find((r) =>
          r.resource_id === "joints"
        );
        if (found !== undefined) return found;
        await delay(100);
      }
      assert.fail(`no "joints" row:\n${agent.stderr()}`);
    });
    assert.equal(row.sensor?.kind, "joint_encoders");
    const extracted = [];
    for await (const hash of Deno.readDir(cache)) {
      for await (const file of Deno.readDir(join(cache, hash.name))) {
        extracted.push(file.name);
      }
    }
    assert.deepEqual(extracted, ["libauki_ref_joints.so"]);
  } finally {
    assert.equal(await agent.stop(), 0);
  }
}

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
      if (cc !== undefined) await assertServesBundledDriver(binary, out);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: `compile embeds the camera workers and the reference native drivers${
    cc === undefined ? " (skipped: no C compiler)" : ""
  }`,
  ignore: cc === undefined,
  async fn() {
    const includes = await nativeIncludes(arch);
    assert.match(includes[0], /drivers\/camera\/v4l2_worker\.ts$/);
    assert.match(includes[1], /drivers\/camera\/sim_worker\.ts$/);
    assert.match(includes[2], new RegExp(`ffi/build/${arch}/drivers$`));
    const names = [];
    for await (const entry of Deno.readDir(includes[2])) names.push(entry.name);
    assert.deepEqual(names.sort(), [
      "libauki_ref_camera.so",
      "libauki_ref_joints.so",
      "libauki_ref_lidar2d.so",
      "libauki_ref_uwb.so",
    ]);
  },
});
