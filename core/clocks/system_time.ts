/**
 * Nanosecond readings of the kernel's clocks (`clock_gettime`), exact to the
 * nanosecond the kernel reports and never through a floating-point number.
 *
 * @module
 */
import { libc } from "../../ffi/libc.ts";

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;

const timespec = new BigInt64Array(2);

function read(clock: number): bigint {
  if (libc().clock_gettime(clock, timespec) !== 0) {
    throw new Error(`clock_gettime(${clock}) failed`);
  }
  return timespec[0] * 1_000_000_000n + timespec[1];
}

/** CLOCK_MONOTONIC in ns: steady, not stepped by time synchronisation. */
export function monotonicNs(): bigint {
  return read(CLOCK_MONOTONIC);
}

/** CLOCK_REALTIME in ns since 1970-01-01T00:00:00Z: the system's UTC clock. */
export function realtimeNs(): bigint {
  return read(CLOCK_REALTIME);
}
