/**
 * Serial port failures as errors whose message names the port and says
 * what to do, from the C library's `errno`.
 *
 * @module
 */

/** `errno` values the serial layer tells apart (Linux, every architecture). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  ENODEV: 19,
  EISDIR: 21,
  EINVAL: 22,
  ENOTTY: 25,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Errno).map(([name, code]) => [code, name]),
);

const EXPLAINED: Record<number, string> = {
  [Errno.ENOENT]: "no such device (is it plugged in?)",
  [Errno.EACCES]:
    "permission denied (add the user to the dialout group, or fix the device's udev permissions)",
  [Errno.EPERM]: "operation not permitted",
  [Errno.EIO]: "input/output error (the device was unplugged or failed)",
  [Errno.ENXIO]: "no such device or address (the device is gone)",
  [Errno.ENODEV]: "no such device (the device is gone)",
  [Errno.EBUSY]: "device busy",
  [Errno.EISDIR]: "is a directory, not a serial port",
  [Errno.ENOTTY]: "not a serial port (the ioctl is not supported)",
  [Errno.EINVAL]: "invalid argument (the setting is not supported)",
  [Errno.EBADF]: "the port is not open",
};

/** A serial port failure; `disconnected` when the device went away. */
export class SerialPortError extends Error {
  /** The `errno` of the failed call (0 when not from the C library). */
  readonly errno: number;
  /** The device is gone (unplugged, hung up); reopening may find it again. */
  readonly disconnected: boolean;
  /** The port was closed while the operation waited (serialport's convention). */
  readonly canceled: boolean;

  /** An error about `path`: `what` failed with `errno`, or with `reason` text. */
  constructor(
    path: string,
    what: string,
    cause: { errno: number } | {
      reason: string;
      disconnected?: boolean;
      canceled?: boolean;
    },
  ) {
    const errno = "errno" in cause ? cause.errno : 0;
    const reason = "errno" in cause ? describeErrno(errno) : cause.reason;
    super(`${what} ${path}: ${reason}`);
    this.name = "SerialPortError";
    this.errno = errno;
    this.disconnected = "errno" in cause
      ? GONE.has(errno)
      : cause.disconnected ?? false;
    this.canceled = "errno" in cause ? false : cause.canceled ?? false;
  }
}

const GONE = new Set<number>([
  Errno.ENOENT,
  Errno.EIO,
  Errno.ENXIO,
  Errno.ENODEV,
  Errno.EBADF,
]);

/** A short explanation of `errno`, with its symbolic name. */
export function describeErrno(errno: number): string {
  const name = NAMES[errno] ?? `errno ${errno}`;
  const text = EXPLAINED[errno];
  return text === undefined ? name : `${text} [${name}]`;
}
