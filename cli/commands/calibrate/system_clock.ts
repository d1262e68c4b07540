/**
 * Whether the system clock is disciplined (kept on UTC by NTP, chrony or
 * PTP): the kernel's own view through `adjtimex(2)` with `modes = 0` (a
 * read, no privilege needed): the `STA_UNSYNC` status bit, the estimated
 * and maximum error and the frequency correction; and systemd's
 * `timedatectl show` (`NTPSynchronized`) where it exists.
 *
 * @module
 */
import { libc } from "../../../ffi/libc.ts";

/** `struct timex` size and field offsets on 64-bit Linux (x86_64, aarch64). */
const TIMEX_BYTES = 208;
const OFFSET = { freq: 16, maxerror: 24, esterror: 32, status: 40 } as const;
/** `STA_UNSYNC`: the clock is not synchronized. */
export const STA_UNSYNC = 0x0040;
/** `TIME_ERROR`: adjtimex's answer for an unsynchronized clock. */
export const TIME_ERROR = 5;

/** What the kernel says of the system clock. */
export interface KernelClock {
  /** adjtimex's return value (0 TIME_OK ... 5 TIME_ERROR). */
  state: number;
  /** The status bits. */
  status: number;
  /** Whether `STA_UNSYNC` is set or the state is `TIME_ERROR`. */
  unsynchronized: boolean;
  /** Maximum error, µs (16 s means never synchronized). */
  maxErrorUs: number;
  /** Estimated error, µs. */
  estErrorUs: number;
  /** Frequency correction, ppm. */
  frequencyPpm: number;
}

/** Reads the kernel clock state with `adjtimex(2)`. */
export function kernelClock(): KernelClock {
  const timex = new Uint8Array(TIMEX_BYTES);
  const state = libc().adjtimex(timex);
  if (state < 0) throw new Error("adjtimex failed");
  const view = new DataView(timex.buffer);
  const status = view.getInt32(OFFSET.status, true);
  return {
    state,
    status,
    unsynchronized: (status & STA_UNSYNC) !== 0 || state === TIME_ERROR,
    maxErrorUs: Number(view.getBigInt64(OFFSET.maxerror, true)),
    estErrorUs: Number(view.getBigInt64(OFFSET.esterror, true)),
    frequencyPpm: Number(view.getBigInt64(OFFSET.freq, true)) / 65536,
  };
}

/** `NTPSynchronized` from `timedatectl show`, or `undefined` without systemd. */
export async function timedatectlSynchronized(): Promise<boolean | undefined> {
  try {
    const { success, stdout } = await new Deno.Command("timedatectl", {
      args: ["show", "--property=NTPSynchronized", "--value"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!success) return undefined;
    const value = new TextDecoder().decode(stdout).trim();
    return value === "yes" ? true : value === "no" ? false : undefined;
  } catch {
    return undefined;
  }
}
