/**
 * The native driver ABI of `ffi/include/auki_edge_driver.h` as TypeScript
 * constants: version, result codes, clocks, struct layouts and the symbol
 * table handed to `Deno.dlopen`.
 *
 * @module
 */

/** The ABI version the loader speaks (`AED_ABI_VERSION`). */
export const ABI_VERSION = 1;

/** Negative results of `aed_describe` and `aed_read` (`AED_E_*`). */
export const AED_E = {
  FAILED: -1,
  TOO_SMALL: -2,
  NO_DEVICE: -3,
  INVALID: -4,
  CONFIG: -5,
} as const;

/** Clocks of `aed_sample_meta.clock` (`AED_CLOCK_*`, Linux clockid_t values). */
export const AED_CLOCK = { REALTIME: 0, MONOTONIC: 1 } as const;

/** Byte layout of `aed_sample_meta`. */
export const SAMPLE_META = {
  size: 24,
  timestampNs: 0,
  clock: 8,
  flags: 12,
  needed: 16,
} as const;

/** Byte layout of `aed_uwb_header`. */
export const UWB_HEADER = {
  size: 40,
  rangeCount: 0,
  hasPosition: 4,
  x: 8,
  y: 16,
  z: 24,
  positionQuality: 32,
} as const;

/** Byte layout of `aed_uwb_range`. */
export const UWB_RANGE = {
  size: 24,
  anchorId: 0,
  anchorIdBytes: 16,
  distanceM: 16,
  quality: 20,
} as const;

/** Byte layout of `aed_wifi_csi_header`. */
export const WIFI_CSI_HEADER = {
  size: 20,
  sourceMac: 0,
  rssiDbm: 8,
  channel: 12,
  subcarrierCount: 16,
} as const;

/**
 * The driver symbols. Every call that may wait runs on a thread of Deno's
 * blocking pool (`nonblocking`), never on the event loop; `aed_abi_version`
 * and `aed_last_error` must return at once.
 */
export const DRIVER_SYMBOLS = {
  aed_abi_version: { parameters: [], result: "u32" },
  aed_describe: {
    parameters: ["buffer", "buffer", "u32", "buffer", "u32"],
    result: "i32",
    nonblocking: true,
  },
  aed_open: {
    parameters: ["buffer", "buffer", "u32"],
    result: "pointer",
    nonblocking: true,
  },
  aed_read: {
    parameters: ["pointer", "buffer", "u32", "i32", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  aed_last_error: { parameters: ["pointer", "buffer", "u32"], result: "u32" },
  aed_close: { parameters: ["pointer"], result: "void", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound symbols of one driver library. */
export type DriverSymbols = Deno.DynamicLibrary<
  typeof DRIVER_SYMBOLS
>["symbols"];

/** The text of a NUL-terminated UTF-8 string written into `buffer`. */
export function cText(buffer: Uint8Array): string {
  const end = buffer.indexOf(0);
  return new TextDecoder().decode(
    buffer.subarray(0, end < 0 ? buffer.length : end),
  );
}
