/**
 * Reads the machine type of an ELF file from its header, to check which
 * architecture a built library is for.
 *
 * @module
 */
import type { FfiArch } from "../../scripts/build_ffi.ts";

/** The ELF `e_machine` of each architecture the project builds for. */
export const ELF_MACHINES: Readonly<Record<FfiArch, number>> = {
  x86_64: 62,
  aarch64: 183,
};

/**
 * The `e_machine` field of the 64-bit little-endian ELF file at `path`;
 * throws when the file is not one.
 */
export async function elfMachine(path: string): Promise<number> {
  const file = await Deno.open(path);
  try {
    const header = new Uint8Array(20);
    let read = 0;
    while (read < header.length) {
      const n = await file.read(header.subarray(read));
      if (n === null) break;
      read += n;
    }
    const magic = [0x7f, 0x45, 0x4c, 0x46];
    if (read < header.length || magic.some((b, i) => header[i] !== b)) {
      throw new Error(`${path} is not an ELF file`);
    }
    if (header[4] !== 2 || header[5] !== 1) {
      throw new Error(`${path} is not a 64-bit little-endian ELF file`);
    }
    return new DataView(header.buffer).getUint16(18, true);
  } finally {
    file.close();
  }
}
