/**
 * `deno task bench:compile`: the compiled binary's figures.
 *
 *   (a) binary size per target, with and without the reference native
 *       drivers, and the size of the drivers themselves
 *   (b) start-to-serving time (process start until the ready file is
 *       written, four simulated sensors) of `deno run` with the agent's
 *       permissions against the compiled binary, in the same run
 *
 * The binaries need a denort runtime given (`DENORT_BIN_X86_64`,
 * `DENORT_BIN_AARCH64`) or already in Deno's cache; without one the figures
 * that need it are skipped with that reason (the benchmark never downloads a
 * runtime).
 *
 * Usage: deno task bench:compile [--runs N]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startAgent } from "./harness/agent_process.ts";
import { buildDir, findCompiler, hostArch } from "./build_ffi.ts";
import {
  type Arch,
  compile,
  nativeIncludes,
  type Runtime,
  runtimeFor,
  TARGETS,
} from "./compile.ts";
import { AGENT_PERMISSIONS } from "./permissions.ts";

const MIB = 1024 * 1024;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function size(path: string): Promise<number> {
  return (await Deno.stat(path)).size;
}

/** The reference drivers' total size for `arch`, building them first; `undefined` without a compiler. */
async function driversSize(arch: Arch): Promise<number | undefined> {
  if (await findCompiler(arch) === undefined) return undefined;
  await nativeIncludes(arch);
  let total = 0;
  for await (const entry of Deno.readDir(buildDir("drivers", arch))) {
    total += await size(join(buildDir("drivers", arch), entry.name));
  }
  return total;
}

function skipReason(arch: Arch): string {
  return `skipped: no denort runtime for ${
    TARGETS[arch]
  } (set DENORT_BIN_${arch.toUpperCase()} to a denort ${Deno.version.deno} binary, or run deno task compile once online to cache one)`;
}

/** (a): the sizes of one target; returns the binary with the drivers, if built. */
async function sizes(
  arch: Arch,
  runtime: Runtime,
  out: string,
): Promise<string | undefined> {
  const drivers = await driversSize(arch);
  console.log(
    `(a) ${arch}: reference drivers ${
      drivers === undefined
        ? "not built (no C compiler)"
        : `${(drivers / 1024).toFixed(1)} KiB`
    }`,
  );
  if (runtime.source === "download") {
    console.log(`(a) ${arch}: binary size ${skipReason(arch)}`);
    return undefined;
  }
  const without = await compile(arch, join(out, "plain"), runtime, false);
  const withDrivers = await compile(arch, join(out, "drivers"), runtime);
  if (without === undefined || withDrivers === undefined) {
    throw new Error(`deno compile failed for ${arch}`);
  }
  console.log(
    `(a) ${arch}: binary ${
      (await size(without) / MIB).toFixed(1)
    } MiB without drivers, ${
      (await size(withDrivers) / MIB).toFixed(1)
    } MiB with them`,
  );
  return withDrivers;
}

/** Median milliseconds from spawning `command` until the agent is serving. */
async function startToServing(
  command: [string, ...string[]],
  runs: number,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const agent = await startAgent({ command, timeoutMs: 60_000 });
    times.push(performance.now() - started);
    await agent.stop();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { runs: { type: "string", default: "3" } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`bench:compile: --runs: "${values.runs}" is not a count`);
    Deno.exit(2);
  }
  const out = await Deno.makeTempDir({ prefix: "auki-edge-bench-compile-" });
  try {
    let hostBinary: string | undefined;
    for (const arch of Object.keys(TARGETS) as Arch[]) {
      const binary = await sizes(arch, await runtimeFor(arch, false), out);
      if (arch === hostArch()) hostBinary = binary;
    }
    const denoRun = await startToServing(
      [Deno.execPath(), "run", ...AGENT_PERMISSIONS, MAIN],
      runs,
    );
    console.log(
      `(b) start to serving, median of ${runs}: deno run ${
        denoRun.toFixed(0)
      } ms; compiled ${
        hostBinary === undefined
          ? skipReason(hostArch())
          : `${(await startToServing([hostBinary], runs)).toFixed(0)} ms`
      }`,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}
