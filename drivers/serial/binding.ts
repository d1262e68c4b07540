/**
 * serialport's `BindingInterface` over Deno FFI: `open` sets raw mode with
 * any baud rate through `TCSETS2`/`BOTHER` on a non-blocking descriptor,
 * `list` reads sysfs. Use it as the `binding` of `SerialPortStream`.
 *
 * @module
 */
import type {
  BindingInterface,
  OpenOptions,
} from "@serialport/bindings-interface";
import { cString, errno, libc } from "../../ffi/libc.ts";
import { Errno, SerialPortError } from "./errors.ts";
import { FdPort } from "./fd_port.ts";
import { listPorts, type SerialPortInfo } from "./ports.ts";
import {
  makeRaw,
  speedOf,
  TCGETS2,
  TCSETS2,
  TERMIOS2_SIZE,
} from "./termios.ts";

const O_RDWR = 0o2;
const O_NOCTTY = 0o400;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const LOCK_EX = 2;
const LOCK_NB = 4;

/** Fills in serialport's defaults and checks what Linux supports. */
function resolveOpenOptions(
  options: OpenOptions,
): Required<OpenOptions> {
  const resolved = {
    dataBits: 8,
    lock: true,
    stopBits: 1,
    parity: "none",
    rtscts: false,
    xon: false,
    xoff: false,
    xany: false,
    hupcl: true,
    ...options,
  } as Required<OpenOptions>;
  const bad = (what: string) => {
    throw new SerialPortError(resolved.path, "cannot open", {
      reason: what,
    });
  };
  if (typeof resolved.path !== "string" || resolved.path === "") {
    throw new TypeError("a serial port path is required");
  }
  if (!Number.isInteger(resolved.baudRate) || resolved.baudRate <= 0) {
    bad(`baud rate must be a positive integer, got ${resolved.baudRate}`);
  }
  if (![5, 6, 7, 8].includes(resolved.dataBits)) {
    bad(`data bits must be 5, 6, 7 or 8, got ${resolved.dataBits}`);
  }
  if (resolved.stopBits !== 1 && resolved.stopBits !== 2) {
    bad(`stop bits must be 1 or 2 on Linux, got ${resolved.stopBits}`);
  }
  if (!["none", "even", "odd"].includes(resolved.parity)) {
    bad(`parity must be none, even or odd, got ${resolved.parity}`);
  }
  return resolved;
}

/** Opens `options.path` as a raw serial port; the error names the port and the cause. */
export function openPort(options: OpenOptions): FdPort {
  const resolved = resolveOpenOptions(options);
  const path = resolved.path;
  const fd = libc().open(
    cString(path),
    O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
    0,
  );
  if (fd < 0) {
    throw new SerialPortError(path, "cannot open", { errno: errno() });
  }
  try {
    if (resolved.lock && libc().flock(fd, LOCK_EX | LOCK_NB) !== 0) {
      const code = errno();
      throw code === Errno.EAGAIN
        ? new SerialPortError(path, "cannot open", {
          reason: "in use by another process (it holds the port's lock)",
        })
        : new SerialPortError(path, "cannot lock", { errno: code });
    }
    const termios = new Uint8Array(TERMIOS2_SIZE);
    if (libc().ioctl(fd, TCGETS2, termios) !== 0) {
      const code = errno();
      throw code === Errno.ENOTTY || code === Errno.EINVAL
        ? new SerialPortError(path, "cannot open", {
          reason: "not a serial port (no terminal settings)",
        })
        : new SerialPortError(path, "cannot read the settings of", {
          errno: code,
        });
    }
    makeRaw(termios, {
      baudRate: resolved.baudRate,
      dataBits: resolved.dataBits,
      stopBits: resolved.stopBits as 1 | 2,
      parity: resolved.parity as "none" | "even" | "odd",
      rtscts: resolved.rtscts,
      xon: resolved.xon,
      xoff: resolved.xoff,
      xany: resolved.xany,
      hupcl: resolved.hupcl,
    });
    if (libc().ioctl(fd, TCSETS2, termios) !== 0) {
      throw new SerialPortError(
        path,
        `cannot set ${resolved.baudRate} baud on`,
        {
          errno: errno(),
        },
      );
    }
  } catch (error) {
    libc().close(fd);
    throw error;
  }
  return new FdPort(fd, resolved);
}

/** The FFI binding: serial ports on Linux without a native addon. */
export const ffiBinding: BindingInterface<FdPort, OpenOptions, SerialPortInfo> =
  {
    list: () => listPorts(),
    open: (options) => {
      try {
        return Promise.resolve(openPort(options));
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };

/**
 * The baud rate `path` is set to, read without taking it over (the device
 * simulators use it to see the speed a driver chose); `undefined` when it
 * cannot be read.
 */
export function readBaudRate(path: string): number | undefined {
  const fd = libc().open(cString(path), O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) return undefined;
  try {
    const termios = new Uint8Array(TERMIOS2_SIZE);
    return libc().ioctl(fd, TCGETS2, termios) === 0
      ? speedOf(termios)
      : undefined;
  } finally {
    libc().close(fd);
  }
}
