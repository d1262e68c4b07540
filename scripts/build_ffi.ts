/**
 * `deno task build:ffi`: builds the native libraries of `ffi/src/` with the
 * machine's C compiler into `ffi/build/<arch>/` (gitignored):
 *
 *   drivers/  the reference drivers, shipped inside the compiled binary
 *   test/     the fault drivers and the fake V4L2 device, for tests only
 *
 * A library is rebuilt only when a source, a header or this script is newer.
 * The compiler is `$CC` (or `cc`, `gcc`, `clang`) for the host architecture
 * and `$CC_AARCH64` / `$CC_X86_64` (or `aarch64-linux-gnu-gcc` /
 * `x86_64-linux-gnu-gcc`) for the other one.
 *
 * Usage: deno task build:ffi [--arch x86_64|aarch64]
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type BuildGroup, builtLibraryUrl } from "../drivers/native/bundled.ts";

/** An architecture the project builds for. */
export type FfiArch = "x86_64" | "aarch64";

const ROOT = new URL("..", import.meta.url).pathname;
const SRC = join(ROOT, "ffi", "src");
const UTIL = "common/driver_util.c";

/** Every library built from `ffi/src/`, by name (file `libauki_<name>.so`). */
export const LIBRARIES: Readonly<
  Record<string, { group: BuildGroup; sources: readonly string[] }>
> = {
  ref_camera: { group: "drivers", sources: ["drivers/ref_camera.c", UTIL] },
  ref_lidar2d: { group: "drivers", sources: ["drivers/ref_lidar2d.c", UTIL] },
  ref_uwb: { group: "drivers", sources: ["drivers/ref_uwb.c", UTIL] },
  ref_joints: { group: "drivers", sources: ["drivers/ref_joints.c", UTIL] },
  fault_hang: { group: "test", sources: ["test/fault_hang.c", UTIL] },
  fault_error: { group: "test", sources: ["test/fault_error.c", UTIL] },
  fault_liar: { group: "test", sources: ["test/fault_liar.c", UTIL] },
  fault_quiet: { group: "test", sources: ["test/fault_quiet.c", UTIL] },
  fault_abi: { group: "test", sources: ["test/fault_abi.c"] },
  fault_nosym: { group: "test", sources: ["test/fault_nosym.c"] },
  fake_v4l2: { group: "test", sources: ["test/fake_v4l2.c"] },
};

/** The architecture this process runs on. */
export function hostArch(): FfiArch {
  return Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
}

/** Where library `name` of {@link LIBRARIES} is built. */
export function libraryPath(name: string, arch = hostArch()): string {
  const library = LIBRARIES[name];
  if (library === undefined) throw new Error(`no library "${name}"`);
  return builtLibraryUrl(library.group, name, arch).pathname;
}

/** The folder of one group of built libraries. */
export function buildDir(group: BuildGroup, arch = hostArch()): string {
  return dirname(builtLibraryUrl(group, "", arch).pathname);
}

async function runs(command: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** The C compiler for `arch`, or `undefined` when the machine has none. */
export async function findCompiler(
  arch = hostArch(),
): Promise<string | undefined> {
  const candidates = arch === hostArch()
    ? [Deno.env.get("CC"), "cc", "gcc", "clang"]
    : [Deno.env.get(`CC_${arch.toUpperCase()}`), `${arch}-linux-gnu-gcc`];
  for (const candidate of candidates) {
    if (candidate && await runs(candidate)) return candidate;
  }
  return undefined;
}

async function newestInput(): Promise<number> {
  let newest = (await Deno.stat(new URL(import.meta.url).pathname)).mtime!
    .getTime();
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else newest = Math.max(newest, (await Deno.stat(path)).mtime!.getTime());
    }
  };
  await walk(SRC);
  await walk(join(ROOT, "ffi", "include"));
  return newest;
}

async function isCurrent(output: string, newest: number): Promise<boolean> {
  try {
    return (await Deno.stat(output)).mtime!.getTime() >= newest;
  } catch {
    return false;
  }
}

/**
 * Builds every library of {@link LIBRARIES} for `arch` with `compiler`;
 * returns the paths rebuilt. Throws with the compiler's output on failure.
 */
export async function buildFfi(
  compiler: string,
  arch = hostArch(),
): Promise<string[]> {
  const newest = await newestInput();
  const built: string[] = [];
  for (const name of Object.keys(LIBRARIES)) {
    const output = libraryPath(name, arch);
    if (await isCurrent(output, newest)) continue;
    await Deno.mkdir(dirname(output), { recursive: true });
    const partial = `${output}.${Deno.pid}.tmp`;
    const result = await new Deno.Command(compiler, {
      args: [
        "-O2",
        "-fPIC",
        "-shared",
        "-std=gnu11",
        "-Wall",
        "-Wextra",
        "-pthread",
        "-I",
        join(ROOT, "ffi", "include"),
        "-o",
        partial,
        ...LIBRARIES[name].sources.map((source) => join(SRC, source)),
        "-lm",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      await Deno.remove(partial).catch(() => {});
      throw new Error(
        `${compiler} failed building ${basename(output)}:\n${
          new TextDecoder().decode(result.stderr)
        }`,
      );
    }
    // Renamed into place: a process that has the old file open keeps it.
    await Deno.rename(partial, output);
    built.push(output);
  }
  return built;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { arch: { type: "string", default: hostArch() } },
  });
  const arch = values.arch as FfiArch;
  if (arch !== "x86_64" && arch !== "aarch64") {
    console.error(`build:ffi: --arch: unknown "${arch}" (x86_64, aarch64)`);
    Deno.exit(2);
  }
  const compiler = await findCompiler(arch);
  if (compiler === undefined) {
    console.error(
      `build:ffi: no C compiler for ${arch} (set ${
        arch === hostArch() ? "CC" : `CC_${arch.toUpperCase()}`
      } or install one)`,
    );
    Deno.exit(1);
  }
  try {
    const built = await buildFfi(compiler, arch);
    console.log(
      `build:ffi: ${built.length} of ${
        Object.keys(LIBRARIES).length
      } libraries rebuilt for ${arch} with ${compiler} in ffi/build/${arch}/`,
    );
  } catch (error) {
    console.error(`build:ffi: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
