/**
 * `deno task compile`: which denort runtime it picks (given, cached,
 * download) and what it says when the download fails, without the network;
 * what it embeds per target; and the compiled binary itself, which needs a
 * runtime: it runs only when one is given (DENORT_BIN, DENORT_BIN_X86_64) or
 * cached, and is skipped with that reason otherwise. With a C compiler the
 * binary embeds the reference drivers and must serve one next to the four
 * simulators, loaded by name from the cache it extracts them to.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withClient } from "../../cli/client.ts";
import { SMALL_SIMS } from "../e2e/_helpers.ts";
import { delay } from "../helpers/wait.ts";
import { requestResources } from "../../agent/protocols/resources.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import { ELF_MACHINES, elfMachine } from "../helpers/elf.ts";
import {
  type Arch,
  cachedRuntimePath,
  compile,
  denoDir,
  nativeIncludes,
  runtimeFor,
  TARGETS,
} from "../../scripts/compile.ts";
import { findCompiler, hostArch } from "../../scripts/build_ffi.ts";

const COMPILE = new URL("../../scripts/compile.ts", import.meta.url).pathname;
const arch: Arch = hostArch();
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
      sensors: [
        ...SMALL_SIMS.sensors,
        { driver: "native", id: "joints", library: "ref_joints" },
      ],
    },
  });
  try {
    const ids = ["sim_camera", "sim_lidar", "sim_uwb", "sim_joints", "joints"];
    const rows = await withClient(async (node) => {
      for (let tries = 0; tries < 100; tries++) {
        const found = await requestResources(node, agent.address);
        if (ids.every((id) => found.some((r) => r.resource_id === id))) {
          return found;
        }
        await delay(100);
      }
      assert.fail(`not every one of ${ids} has a row:\n${agent.stderr()}`);
    });
    const row = rows.find((r) => r.resource_id === "joints");
    assert.equal(row?.sensor?.kind, "joint_encoders");
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
  name: runtime.source !== "download"
    ? `compiled ${arch} binary runs the CLI`
    : `compiled ${arch} binary runs the CLI (skipped: no denort runtime given or cached, and the test does not download one; set DENORT_BIN_${arch.toUpperCase()} or DENORT_BIN to a denort ${Deno.version.deno} binary)`,
  ignore: runtime.source === "download",
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const binary = await compile(arch, out, runtime);
      assert.ok(binary !== undefined, "deno compile failed");
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

Deno.test("compile: a DENORT_BIN_<ARCH> runtime is used for its target, DENORT_BIN only with one target", async () => {
  const env = { DENO_DIR: await Deno.makeTempDir() };
  try {
    assert.deepEqual(
      await runtimeFor("aarch64", false, {
        ...env,
        DENORT_BIN_AARCH64: "/rt/arm",
        DENORT_BIN: "/rt/any",
      }),
      { source: "given", bin: "/rt/arm" },
    );
    assert.deepEqual(
      await runtimeFor("x86_64", true, { ...env, DENORT_BIN: "/rt/any" }),
      { source: "given", bin: "/rt/any" },
    );
    assert.deepEqual(
      await runtimeFor("x86_64", false, { ...env, DENORT_BIN: "/rt/any" }),
      { source: "download" },
    );
  } finally {
    await Deno.remove(env.DENO_DIR, { recursive: true });
  }
});

Deno.test("compile: a runtime in Deno's cache is used, else deno compile downloads one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = { DENO_DIR: dir };
    assert.deepEqual(await runtimeFor("aarch64", true, env), {
      source: "download",
    });
    const zip = cachedRuntimePath(dir, "aarch64");
    assert.equal(
      zip,
      join(
        dir,
        `dl/release/v${Deno.version.deno}/denort-aarch64-unknown-linux-gnu.zip`,
      ),
    );
    await Deno.mkdir(join(zip, ".."), { recursive: true });
    await Deno.writeFile(zip, new Uint8Array([0x50, 0x4b, 5, 6]));
    assert.deepEqual(await runtimeFor("aarch64", true, env), {
      source: "cached",
      path: zip,
    });
    assert.deepEqual(await runtimeFor("x86_64", true, env), {
      source: "download",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compile: without a runtime it runs deno compile, which tries the download; offline Deno's error is followed by one line of ours", async () => {
  // Offline for sure: an empty cache of runtimes (the npm packages linked
  // from the real one) and every request through a proxy that refuses.
  const dir = await Deno.makeTempDir();
  try {
    const cache = join(dir, "deno");
    await Deno.mkdir(cache);
    await Deno.symlink(join(await denoDir(), "npm"), join(cache, "npm"));
    const proxy = "http://127.0.0.1:9";
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? dir,
      DENO_DIR: cache,
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
      HTTPS_PROXY: proxy,
      HTTP_PROXY: proxy,
    };
    // timeout(1) ends the script and the deno compile it runs alike, should the download hang.
    const result = await new Deno.Command("timeout", {
      args: [
        "-k",
        "5",
        "120",
        Deno.execPath(),
        "run",
        "-A",
        COMPILE,
        "--target",
        arch,
        "--out",
        join(dir, "dist"),
      ],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    assert.notEqual(result.code, 124, `the download hung:\n${stderr}`);
    assert.equal(result.code, 1, stderr);
    const lines = stderr.trimEnd().split("\n");
    const url = `dl.deno.land/release/v${Deno.version.deno}/denort-${
      TARGETS[arch]
    }.zip`;
    const download = lines.findIndex((l) =>
      l.includes(`Download https://${url}`)
    );
    const error = lines.findIndex((l) => l.startsWith("error:"));
    assert.ok(download >= 0 && error > download, stderr);
    assert.ok(lines.some((l) => l.includes("error sending request")), stderr);
    const ours = lines.filter((l) => l.startsWith("compile:"));
    assert.deepEqual(ours, [lines.at(-1)], stderr);
    assert.match(
      ours[0],
      new RegExp(
        `^compile: deno compile failed for ${
          TARGETS[arch]
        } \\(its error is above\\); offline, set DENORT_BIN_${arch.toUpperCase()} \\(or DENORT_BIN with one --target\\) to a denort ${Deno.version.deno} binary, or put denort-${
          TARGETS[arch]
        }\\.zip into ${cache}/dl/release/v${Deno.version.deno}/$`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const target of Object.keys(TARGETS) as Arch[]) {
  const compiler = await findCompiler(target);
  Deno.test({
    name:
      `compile: the ${target} binary embeds the workers (camera, preview) and the ${target} reference native drivers${
        compiler === undefined
          ? ` (skipped: no C compiler for ${target}${
            target === hostArch()
              ? ""
              : `; install gcc-${target.replace("_", "-")}-linux-gnu`
          })`
          : ""
      }`,
    ignore: compiler === undefined,
    async fn() {
      const includes = await nativeIncludes(target);
      assert.match(includes[0], /drivers\/camera\/v4l2_worker\.ts$/);
      assert.match(includes[1], /drivers\/camera\/sim_worker\.ts$/);
      assert.match(includes[2], /agent\/http\/preview_worker\.ts$/);
      assert.equal(includes.length, 4, includes.join(" "));
      const drivers = includes[3];
      assert.match(drivers, new RegExp(`ffi/build/${target}/drivers$`));
      const names = [];
      for await (const entry of Deno.readDir(drivers)) {
        names.push(entry.name);
        assert.equal(
          await elfMachine(join(drivers, entry.name)),
          ELF_MACHINES[target],
          `${entry.name} is not a ${target} library`,
        );
      }
      assert.deepEqual(names.sort(), [
        "libauki_ref_camera.so",
        "libauki_ref_joints.so",
        "libauki_ref_lidar2d.so",
        "libauki_ref_uwb.so",
      ]);
    },
  });
}
