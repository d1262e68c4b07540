/**
 * `deno task compile`: builds the single `auki-edge` binary for linux x86_64
 * and aarch64 with `deno compile`, embedding the reference native driver
 * libraries (ffi/README.md, "Packaging").
 *
 * The binary runs with the agent's permissions (scripts/permissions.ts).
 * `deno compile` needs the `denort` runtime of the target: `DENORT_BIN_X86_64`
 * / `DENORT_BIN_AARCH64` (per target) or `DENORT_BIN` (one `--target`) when
 * given, else a runtime already in Deno's cache
 * (`$DENO_DIR/dl/release/v<version>/denort-<target>.zip`), else `deno compile`
 * downloads it. When that download fails (offline), Deno's error is followed
 * by one line saying how to supply a runtime.
 *
 * Usage: deno task compile [--target x86_64|aarch64]... [--out DIR]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { errorMessage } from "../core/logging.ts";
import { buildDir, buildFfi, findCompiler, hostArch } from "./build_ffi.ts";
import { AGENT_PERMISSIONS } from "./permissions.ts";

/** The targets the project ships. */
export const TARGETS = {
  x86_64: "x86_64-unknown-linux-gnu",
  aarch64: "aarch64-unknown-linux-gnu",
} as const;

/** An architecture name of {@link TARGETS}. */
export type Arch = keyof typeof TARGETS;

/** Deno's cache directory: `DENO_DIR` of `env`, else what `deno info` says. */
export async function denoDir(
  env: Record<string, string> = Deno.env.toObject(),
): Promise<string> {
  if (env.DENO_DIR) return env.DENO_DIR;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(output.stdout)).denoDir;
}

/** Where `deno compile` looks for a cached runtime of `arch`. */
export function cachedRuntimePath(dir: string, arch: Arch): string {
  return join(
    dir,
    "dl",
    "release",
    `v${Deno.version.deno}`,
    `denort-${TARGETS[arch]}.zip`,
  );
}

/**
 * Where the denort runtime of one target comes from: a binary given by
 * `DENORT_BIN*`, Deno's cache, or a download by `deno compile` itself.
 */
export type Runtime =
  | { source: "given"; bin: string }
  | { source: "cached"; path: string }
  | { source: "download" };

/**
 * The runtime for `arch` under environment `env`: `DENORT_BIN_<ARCH>`, or
 * `DENORT_BIN` when `single` target is compiled, else a zip in Deno's cache,
 * else a download.
 */
export async function runtimeFor(
  arch: Arch,
  single: boolean,
  env: Record<string, string> = Deno.env.toObject(),
): Promise<Runtime> {
  const bin = env[`DENORT_BIN_${arch.toUpperCase()}`] ??
    (single ? env.DENORT_BIN : undefined);
  if (bin) return { source: "given", bin };
  const path = cachedRuntimePath(await denoDir(env), arch);
  try {
    await Deno.stat(path);
    return { source: "cached", path };
  } catch {
    return { source: "download" };
  }
}

/** The one line printed after `deno compile` failed to download the runtime of `arch`. */
function runtimeHint(arch: Arch, dir: string): string {
  return `compile: deno compile failed for ${
    TARGETS[arch]
  } (its error is above); offline, set DENORT_BIN_${arch.toUpperCase()} (or DENORT_BIN with one --target) to a denort ${Deno.version.deno} binary, or put denort-${
    TARGETS[arch]
  }.zip into ${cachedRuntimePath(dir, arch).replace(/[^/]+$/, "")}`;
}

/**
 * The worker modules `deno compile` must embed: V4L2 capture, simulated
 * camera rendering, the status page's preview encoder.
 */
function workerIncludes(): string[] {
  const root = new URL("..", import.meta.url).pathname;
  return [
    ...["v4l2_worker.ts", "sim_worker.ts"].map((name) =>
      join(root, "drivers", "camera", name)
    ),
    join(root, "agent", "http", "preview_worker.ts"),
  ];
}

/**
 * What `deno compile` must embed beyond the module graph: the worker modules
 * and the reference native driver libraries of `arch`, built first
 * (`deno task build:ffi`) when a C compiler for `arch` exists.
 */
export async function nativeIncludes(arch: Arch): Promise<string[]> {
  const workers = workerIncludes();
  const compiler = await findCompiler(arch);
  if (compiler === undefined) {
    console.warn(
      `compile: no C compiler for ${arch} (${
        arch === hostArch()
          ? "set CC or install gcc"
          : `set CC_${arch.toUpperCase()} or install gcc-${
            arch.replace("_", "-")
          }-linux-gnu`
      }): auki-edge-${arch} is built without the reference native drivers`,
    );
    return workers;
  }
  await buildFfi(compiler, arch);
  return [...workers, buildDir("drivers", arch)];
}

/**
 * Compiles the binary for `arch` into `outDir` with the agent's permissions
 * ({@link AGENT_PERMISSIONS}); returns its path, or `undefined` when
 * `deno compile` failed (its error went to standard error). It uses a given
 * runtime, else its cache, else downloads one. `drivers: false` leaves the
 * reference native drivers out.
 */
export async function compile(
  arch: Arch,
  outDir: string,
  runtime: Runtime,
  drivers = true,
): Promise<string | undefined> {
  const output = join(outDir, `auki-edge-${arch}`);
  const root = new URL("..", import.meta.url).pathname;
  const includes = drivers ? await nativeIncludes(arch) : workerIncludes();
  // deno compile reads DENORT_BIN itself: only a runtime given for this target may reach it.
  const env = Deno.env.toObject();
  delete env.DENORT_BIN;
  if (runtime.source === "given") env.DENORT_BIN = runtime.bin;
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      ...AGENT_PERMISSIONS,
      "--no-check",
      "--target",
      TARGETS[arch],
      "--output",
      output,
      ...includes.flatMap((path) => ["--include", path]),
      join(root, "main.ts"),
    ],
    cwd: root,
    env,
    clearEnv: true,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return result.success ? output : undefined;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string", multiple: true },
      out: { type: "string", default: "dist" },
    },
  });
  const archs = (values.target ?? Object.keys(TARGETS)) as Arch[];
  for (const arch of archs) {
    if (!(arch in TARGETS)) {
      console.error(
        `compile: --target: unknown target "${arch}" (x86_64, aarch64)`,
      );
      Deno.exit(2);
    }
  }
  let failed = false;
  for (const arch of archs) {
    const runtime = await runtimeFor(arch, archs.length === 1);
    try {
      const output = await compile(arch, values.out!, runtime);
      if (output !== undefined) {
        console.log(`compiled ${output}`);
        continue;
      }
      console.error(
        runtime.source === "download"
          ? runtimeHint(arch, await denoDir())
          : `compile: deno compile failed for ${
            TARGETS[arch]
          } (its error is above)`,
      );
    } catch (error) {
      console.error(`compile: ${errorMessage(error)}`);
    }
    failed = true;
  }
  Deno.exit(failed ? 1 : 0);
}
