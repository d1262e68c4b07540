/**
 * Opening a native driver library: resolve the configured `library` (a path,
 * or the name of a bundled reference driver), `dlopen` it with the driver
 * symbols and check its ABI version. Each file is opened once per process
 * and never closed: a driver call stuck in a blocking thread must never find
 * its code unmapped.
 *
 * @module
 */
import { resolve } from "node:path";
import { ABI_VERSION, DRIVER_SYMBOLS, type DriverSymbols } from "./abi.ts";
import { bundledLibraryPath } from "./bundled.ts";
import { errorMessage } from "../../core/logging.ts";

const opened = new Map<string, DriverSymbols>();

/**
 * The loadable file of a `library` setting: containing a `/`, a path
 * (relative to the working directory); otherwise a bundled driver's name.
 */
export async function resolveLibrary(library: string): Promise<string> {
  if (!library.includes("/")) return await bundledLibraryPath(library);
  const path = resolve(library);
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new Error(`${path} is not a file`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${path} does not exist`);
    }
    throw error;
  }
  return path;
}

/**
 * Opens the driver library at `path` and checks it speaks ABI version
 * {@link ABI_VERSION}; throws naming what is wrong (not a shared library,
 * a missing symbol, another version).
 */
export function openDriverLibrary(path: string): DriverSymbols {
  const known = opened.get(path);
  if (known !== undefined) return known;
  let library: Deno.DynamicLibrary<typeof DRIVER_SYMBOLS>;
  try {
    library = Deno.dlopen(path, DRIVER_SYMBOLS);
  } catch (error) {
    throw new Error(
      `cannot load ${path}: ${errorMessage(error)}`,
    );
  }
  const version = library.symbols.aed_abi_version();
  if (version !== ABI_VERSION) {
    library.close();
    throw new Error(
      `${path} implements driver ABI version ${version}; this agent loads version ${ABI_VERSION}`,
    );
  }
  opened.set(path, library.symbols);
  return library.symbols;
}
