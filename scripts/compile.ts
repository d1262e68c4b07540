/**
 * `deno task compile`: builds the single `auki-edge` binary for linux x86_64
 * and aarch64 with `deno compile`, embedding the reference native driver
 * libraries (ffi/README.md, "Packaging").
 *
 * `deno compile` needs the `denort` runtime of the target, which it normally
 * downloads. Offline, give it one: `DENORT_BIN` (any single target),
 * `DENORT_BIN_X86_64` / `DENORT_BIN_AARCH64` (per target), or a runtime
 * already in Deno's cache (`$DENO_DIR/dl/release/v<version>/denort-<target>.zip`).
 *
 * Usage: deno task compile [--target x86_64|aarch64]... [--out DIR]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildDir, buildFfi, findCompiler } from "./build_ffi.ts";

/** The targets the project ships. */
export const TARGETS = {
  x86_64: "x86_64-unknown-linux-gnu",
  aarch64: "aarch64-unknown-linux-gnu",
} as const;

/** An architecture name of {@link TARGETS}. */
export type Arch = keyof typeof TARGETS;

/** Deno's cache directory. */
export async function denoDir(): Promise<string> {
  const env = Deno.env.get("DENO_DIR");
  if (env) return env;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(output.stdout)).denoDir;
}

/**
 * Where the runtime for `arch` comes from: an explicit binary, the cache, or
 * `undefined` when `deno compile` would have to download it.
 */
export async function runtimeFor(
  arch: Arch,
  single: boolean,
): Promise<{ bin?: string; cached?: string } | undefined> {
  const bin = Deno.env.get(`DENORT_BIN_${arch.toUpperCase()}`) ??
    (single ? Deno.env.get("DENORT_BIN") : undefined);
  if (bin) return { bin };
  const cached = join(
    await denoDir(),
    "dl",
    "release",
    `v${Deno.version.deno}`,
    `denort-${TARGETS[arch]}.zip`,
  );
  try {
    await Deno.stat(cached);
    return { cached };
  } catch {
    return undefined;
  }
}

/**
 * What `deno compile` must embed beyond the module graph: the worker modules
 * (V4L2 capture, simulated camera rendering) and the reference native driver
 * libraries of `arch`, built
 * first (`deno task build:ffi`) when a C compiler for `arch` exists.
 */
export async function nativeIncludes(arch: Arch): Promise<string[]> {
  const root = new URL("..", import.meta.url).pathname;
  const workers = ["v4l2_worker.ts", "sim_worker.ts"].map((name) =>
    join(root, "drivers", "camera", name)
  );
  const compiler = await findCompiler(arch);
  if (compiler === undefined) {
    console.warn(
      `compile: no C compiler for ${arch} (set CC_${arch.toUpperCase()}): auki-edge-${arch} is built without the reference native drivers`,
    );
    return workers;
  }
  await buildFfi(compiler, arch);
  return [...workers, buildDir("drivers", arch)];
}

/** Compiles the binary for `arch` into `outDir`; returns its path. */
export async function compile(
  arch: Arch,
  outDir: string,
  runtime: { bin?: string },
): Promise<string> {
  const output = join(outDir, `auki-edge-${arch}`);
  const root = new URL("..", import.meta.url).pathname;
  const includes = await nativeIncludes(arch);
  const env: Record<string, string> = runtime.bin
    ? { DENORT_BIN: runtime.bin }
    : {};
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--allow-all",
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
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) throw new Error(`deno compile failed for ${arch}`);
  return output;
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
    if (runtime === undefined) {
      console.error(
        `compile: no denort runtime for ${
          TARGETS[arch]
        } offline; set DENORT_BIN_${arch.toUpperCase()} (or DENORT_BIN with one --target) to a denort ${Deno.version.deno} binary`,
      );
      failed = true;
      continue;
    }
    console.log(`compiled ${await compile(arch, values.out!, runtime)}`);
  }
  Deno.exit(failed ? 1 : 0);
}
