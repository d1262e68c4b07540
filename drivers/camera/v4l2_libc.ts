/**
 * The C library calls of the V4L2 camera, bound from an injectable library
 * path (the tests load a fake device library in its place). Pointers travel
 * as `usize` addresses and frames are copied out with `memcpy` into
 * JavaScript buffers, so no `Deno.UnsafePointer*` API is needed. Calls are
 * synchronous: the camera runs them on its own worker thread, where `errno`
 * stays the calling thread's.
 *
 * @module
 */

/** The default C library. */
export const DEFAULT_LIBC = "libc.so.6";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  mmap: {
    parameters: ["usize", "usize", "i32", "i32", "i32", "i64"],
    result: "usize",
  },
  munmap: { parameters: ["usize", "usize"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  memcpy: { parameters: ["buffer", "usize", "usize"], result: "usize" },
  __errno_location: { parameters: [], result: "usize" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound calls. */
export type V4l2Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const opened = new Map<string, V4l2Libc>();

/** The calls bound from the library at `path` (opened once per path). */
export function v4l2Libc(path: string = DEFAULT_LIBC): V4l2Libc {
  let symbols = opened.get(path);
  if (symbols === undefined) {
    symbols = Deno.dlopen(path, SYMBOLS).symbols;
    opened.set(path, symbols);
  }
  return symbols;
}

/** `open` flags. */
export const O_RDWR = 0o2;
/** `open` flag: calls never wait (DQBUF answers EAGAIN). */
export const O_NONBLOCK = 0o4000;
/** `mmap` protection: read and write. */
export const PROT_READ_WRITE = 0x3;
/** `mmap` flag: shared with the device. */
export const MAP_SHARED = 0x1;
/** What `mmap` returns on failure, `(void *)-1`. */
export const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
/** `poll` events. */
export const POLLIN = 0x1;
/** `poll` error events: error, hang-up, invalid fd. */
export const POLL_FAILURE = 0x8 | 0x10 | 0x20;

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM (operation not permitted)",
  2: "ENOENT (no such device)",
  4: "EINTR (interrupted)",
  5: "EIO (input/output error)",
  6: "ENXIO (no such device or address)",
  9: "EBADF (bad file descriptor)",
  11: "EAGAIN (try again)",
  12: "ENOMEM (out of memory)",
  13: "EACCES (permission denied)",
  16: "EBUSY (device busy)",
  19: "ENODEV (device gone)",
  22: "EINVAL (invalid argument)",
  25: "ENOTTY (not a V4L2 device)",
  28: "ENOSPC (no space: USB bandwidth)",
  110: "ETIMEDOUT (timed out)",
};

/** `errno` values the camera reacts to. */
export const ERRNO = {
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  EBUSY: 16,
  ENODEV: 19,
} as const;

/** A readable name of an `errno` value. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

const errnoBytes = new Int32Array(1);

/** The calling thread's `errno`, read right after a failed call. */
export function lastErrno(libc: V4l2Libc): number {
  libc.memcpy(errnoBytes, BigInt(libc.__errno_location()), 4n);
  return errnoBytes[0];
}
