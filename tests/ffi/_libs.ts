/**
 * The native libraries the FFI tests load, built by `deno task build:ffi`
 * (which `deno task test` runs first when the machine has a C compiler).
 * Tests that need them are skipped, saying so, when they are absent.
 *
 * @module
 */
import { LIBRARIES, libraryPath } from "../../scripts/build_ffi.ts";

/** Why the FFI tests are skipped on this machine, or `undefined` when they run. */
export const FFI_SKIP: string | undefined = Object.keys(LIBRARIES).every(
    (name) => {
      try {
        return Deno.statSync(libraryPath(name)).isFile;
      } catch {
        return false;
      }
    },
  )
  ? undefined
  : "skipped: native libraries not built (no C compiler; run deno task build:ffi)";

/** The path of built library `name` (e.g. `fault_hang`). */
export function lib(name: keyof typeof LIBRARIES & string): string {
  return libraryPath(name);
}

/** `Deno.test` of a test that loads native libraries: skipped, with the reason in its name, when they are not built. */
export function ffiTest(name: string, fn: () => Promise<void> | void): void {
  Deno.test({
    name: FFI_SKIP === undefined ? name : `${name} (${FFI_SKIP})`,
    ignore: FFI_SKIP !== undefined,
    fn,
  });
}
