/**
 * An open serial port on a non-blocking file descriptor, implementing
 * serialport's `BindingPortInterface` over the C library. Waiting for data
 * (or for room to write) is a `poll` run off the event loop (`nonblocking`
 * FFI) with a short timeout, so a pending read never stalls JavaScript and
 * `close` completes within one poll period.
 *
 * @module
 */
import type {
  BindingPortInterface,
  OpenOptions,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from "@serialport/bindings-interface";
import { errno, libc } from "../../ffi/libc.ts";
import { Errno, SerialPortError } from "./errors.ts";
import {
  setSpeed,
  speedOf,
  TCGETS2,
  TCSETS2,
  TERMIOS2_SIZE,
} from "./termios.ts";

/** How long one `poll` waits before checking whether the port was closed, ms. */
const POLL_PERIOD_MS = 100;

const POLLIN = 0x1;
const POLLOUT = 0x4;
const TCIOFLUSH = 2;
const TIOCMGET = 0x5415n;
const TIOCMSET = 0x5418n;
const TIOCSBRK = 0x5427n;
const TIOCCBRK = 0x5428n;
const TIOCM_DTR = 0x002;
const TIOCM_RTS = 0x004;
const TIOCM_CTS = 0x020;
const TIOCM_CAR = 0x040;
const TIOCM_DSR = 0x100;

/** A serial port open on file descriptor `fd`. */
export class FdPort implements BindingPortInterface {
  /** The options the port was opened with. */
  readonly openOptions: Required<OpenOptions>;
  readonly #fd: number;
  readonly #path: string;
  #open = true;
  /** Polls in flight on other threads; the fd stays open until they return. */
  readonly #polls = new Set<Promise<number>>();
  #writing: Promise<void> | undefined;

  /** Wraps `fd` (raw mode already set) opened from `options.path`. */
  constructor(fd: number, options: Required<OpenOptions>) {
    this.#fd = fd;
    this.#path = options.path;
    this.openOptions = options;
  }

  /** Whether the port is open. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Reads at least one byte into `buffer` at `offset`, waiting off the event loop. */
  async read(
    buffer: Buffer,
    offset: number,
    length: number,
  ): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (length <= 0) {
      throw new RangeError(`read length must be positive, got ${length}`);
    }
    const target = buffer.subarray(offset, offset + length);
    for (;;) {
      this.#assertOpen("read");
      const n = Number(libc().read(this.#fd, target, BigInt(target.length)));
      if (n > 0) return { buffer, bytesRead: n };
      if (n === 0) {
        // A terminal reads end-of-file only once it is hung up.
        throw new SerialPortError(this.#path, "cannot read", {
          reason: "hung up (the device was unplugged or closed)",
          disconnected: true,
        });
      }
      const code = errno();
      if (code === Errno.EAGAIN) await this.#poll(POLLIN);
      else if (code !== Errno.EINTR) {
        throw new SerialPortError(this.#path, "cannot read", { errno: code });
      }
    }
  }

  /** Writes all of `buffer`, waiting off the event loop while the output queue is full. */
  write(buffer: Buffer): Promise<void> {
    const writing = this.#write(buffer);
    this.#writing = writing.catch(() => {});
    return writing;
  }

  async #write(buffer: Uint8Array): Promise<void> {
    let done = 0;
    while (done < buffer.length) {
      this.#assertOpen("write");
      const rest = buffer.subarray(done);
      const n = Number(libc().write(this.#fd, rest, BigInt(rest.length)));
      if (n > 0) {
        done += n;
        continue;
      }
      const code = errno();
      if (code === Errno.EAGAIN) await this.#poll(POLLOUT);
      else if (code !== Errno.EINTR) {
        throw new SerialPortError(this.#path, "cannot write to", {
          errno: code,
        });
      }
    }
  }

  /** Changes the baud rate (any positive integer). */
  update(options: UpdateOptions): Promise<void> {
    return this.#now(() => {
      const termios = this.#termios();
      setSpeed(termios, options.baudRate);
      this.#ioctl("cannot set the baud rate of", TCSETS2, termios);
      this.openOptions.baudRate = options.baudRate;
    });
  }

  /** Sets DTR, RTS and break; other flags are not settable on Linux. */
  set(options: SetOptions): Promise<void> {
    return this.#now(() => {
      const bits = new Uint8Array(4);
      this.#ioctl("cannot read the modem lines of", TIOCMGET, bits);
      const view = new DataView(bits.buffer);
      let lines = view.getInt32(0, true);
      const flag = (on: boolean | undefined, bit: number) => {
        if (on === true) lines |= bit;
        if (on === false) lines &= ~bit;
      };
      flag(options.dtr, TIOCM_DTR);
      flag(options.rts, TIOCM_RTS);
      view.setInt32(0, lines, true);
      this.#ioctl("cannot set the modem lines of", TIOCMSET, bits);
      if (options.brk !== undefined) {
        this.#ioctl(
          "cannot set break on",
          options.brk ? TIOCSBRK : TIOCCBRK,
          null,
        );
      }
    });
  }

  /** Reads CTS, DSR and DCD. */
  get(): Promise<PortStatus> {
    return this.#now(() => {
      const bits = new Uint8Array(4);
      this.#ioctl("cannot read the modem lines of", TIOCMGET, bits);
      const lines = new DataView(bits.buffer).getInt32(0, true);
      return {
        cts: (lines & TIOCM_CTS) !== 0,
        dsr: (lines & TIOCM_DSR) !== 0,
        dcd: (lines & TIOCM_CAR) !== 0,
      };
    });
  }

  /** The baud rate the kernel has set. */
  getBaudRate(): Promise<{ baudRate: number }> {
    return this.#now(() => ({ baudRate: speedOf(this.#termios()) }));
  }

  /** Discards received-but-unread and written-but-unsent bytes. */
  flush(): Promise<void> {
    return this.#now(() => {
      if (libc().tcflush(this.#fd, TCIOFLUSH) !== 0) {
        throw new SerialPortError(this.#path, "cannot flush", {
          errno: errno(),
        });
      }
    });
  }

  /** Waits until written bytes have left the port. */
  async drain(): Promise<void> {
    await this.#writing;
    this.#assertOpen("drain");
    if (await libc().tcdrain(this.#fd) !== 0) {
      throw new SerialPortError(this.#path, "cannot drain", {
        reason: "the port failed while draining",
        disconnected: true,
      });
    }
  }

  /** Closes the port; pending reads and writes fail as canceled. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await Promise.all(this.#polls);
    libc().close(this.#fd);
  }

  async #poll(events: number): Promise<void> {
    const pollfd = new Uint8Array(8);
    const view = new DataView(pollfd.buffer);
    view.setInt32(0, this.#fd, true);
    view.setInt16(4, events, true);
    const polling = libc().poll(pollfd, 1n, POLL_PERIOD_MS);
    this.#polls.add(polling);
    try {
      await polling;
    } finally {
      this.#polls.delete(polling);
    }
  }

  #assertOpen(what: string): void {
    if (!this.#open) {
      throw new SerialPortError(this.#path, `cannot ${what}`, {
        reason: "the port was closed",
        canceled: true,
      });
    }
  }

  #now<T>(work: () => T): Promise<T> {
    try {
      this.#assertOpen("use");
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #termios(): Uint8Array {
    const termios = new Uint8Array(TERMIOS2_SIZE);
    this.#ioctl("cannot read the settings of", TCGETS2, termios);
    return termios;
  }

  #ioctl(what: string, request: bigint, arg: Uint8Array | null): void {
    if (libc().ioctl(this.#fd, request, arg) !== 0) {
      throw new SerialPortError(this.#path, what, { errno: errno() });
    }
  }
}
