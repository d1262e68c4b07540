/**
 * The reference driver libraries that ship with auki-edge, found by name.
 *
 * `deno task build:ffi` builds them into `ffi/build/<arch>/drivers/` and
 * `deno task compile` embeds that folder. From a source checkout they are
 * loaded where they were built. A compiled binary holds them in its embedded
 * file system, which `dlopen` cannot read, so each is first copied to a
 * content-addressed cache file (`<cache>/<sha256 prefix>/libauki_<name>.so`)
 * and loaded from there.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../../core/files.ts";

/** The reference drivers by `library` name in a `native` sensor's settings. */
export const BUNDLED_DRIVERS = [
  "ref_camera",
  "ref_lidar2d",
  "ref_uwb",
  "ref_joints",
] as const;

/** The folder of `ffi/build/<arch>/` a library is built into. */
export type BuildGroup = "drivers" | "test";

/** Where `deno task build:ffi` puts library `name` of `group` for `arch`. */
export function builtLibraryUrl(
  group: BuildGroup,
  name: string,
  arch: string = Deno.build.arch,
): URL {
  return new URL(
    `../../ffi/build/${arch}/${group}/libauki_${name}.so`,
    import.meta.url,
  );
}

/** The cache bundled libraries are extracted to: `$AUKI_EDGE_NATIVE_CACHE`, else `$XDG_CACHE_HOME/auki-edge/native` or `~/.cache/auki-edge/native`. */
export function nativeCacheDir(): string {
  const explicit = Deno.env.get("AUKI_EDGE_NATIVE_CACHE");
  if (explicit) return explicit;
  const base = Deno.env.get("XDG_CACHE_HOME") ??
    join(Deno.env.get("HOME") ?? ".", ".cache");
  return join(base, "auki-edge", "native");
}

/**
 * Copies the library at `source` to a file under `cacheDir` named by its
 * content hash and returns that path; an existing copy is reused. The copy
 * is written to a temporary name and renamed, so concurrent agents never see
 * a partial file.
 */
export async function extractLibrary(
  source: string,
  cacheDir: string,
): Promise<string> {
  const bytes = await Deno.readFile(source);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(
    digest.subarray(0, 8),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const dir = join(cacheDir, hex);
  const target = join(dir, source.slice(source.lastIndexOf("/") + 1));
  try {
    if ((await Deno.stat(target)).size === bytes.byteLength) return target;
  } catch {
    // Not extracted yet.
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(target, bytes, { mode: 0o755 });
  return target;
}

/**
 * The file path `dlopen` can load for bundled driver `name`; throws naming
 * the known drivers when there is no such driver, or when it was not built.
 */
export async function bundledLibraryPath(name: string): Promise<string> {
  if (!(BUNDLED_DRIVERS as readonly string[]).includes(name)) {
    throw new Error(
      `"${name}" is neither a path (it has no "/") nor a bundled driver (${
        BUNDLED_DRIVERS.join(", ")
      })`,
    );
  }
  const source = builtLibraryUrl("drivers", name).pathname;
  try {
    await Deno.stat(source);
  } catch {
    throw new Error(
      `bundled driver ${name} is not built (run deno task build:ffi)`,
    );
  }
  return Deno.build.standalone
    ? await extractLibrary(source, nativeCacheDir())
    : source;
}
