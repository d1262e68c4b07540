/**
 * A stand-in for systemd's notification socket: a real AF_UNIX datagram
 * socket bound through the libc FFI, whose datagrams a test reads one by one.
 *
 * @module
 */
import { errno, libc } from "../../ffi/libc.ts";
import { unixAddress, unixDatagramSocket } from "../../cli/sd_notify.ts";

const POLLIN = 1;

/** A bound notification socket. */
export interface NotifySocket {
  /** The name to put in `$NOTIFY_SOCKET`. */
  name: string;
  /** The next datagram as text; throws after `timeoutMs` without one. */
  next(timeoutMs?: number): Promise<string>;
  /** Closes the socket. */
  close(): void;
}

/** Binds a datagram socket to `name` (a path, or `@abstract`). */
export function bindNotifySocket(name: string): NotifySocket {
  const fd = unixDatagramSocket();
  const [address, length] = unixAddress(name);
  if (libc().bind(fd, address, length) < 0) {
    const code = errno();
    libc().close(fd);
    throw new Error(`bind ${name} failed: errno ${code}`);
  }
  return {
    name,
    async next(timeoutMs = 10_000) {
      const pollfd = new Uint8Array(8);
      const view = new DataView(pollfd.buffer);
      view.setInt32(0, fd, true);
      view.setInt16(4, POLLIN, true);
      const ready = await libc().poll(pollfd, 1n, timeoutMs);
      if (ready !== 1) {
        throw new Error(`no datagram on ${name} within ${timeoutMs} ms`);
      }
      const buffer = new Uint8Array(4096);
      const n = Number(libc().read(fd, buffer, BigInt(buffer.length)));
      if (n < 0) throw new Error(`read ${name} failed: errno ${errno()}`);
      return new TextDecoder().decode(buffer.subarray(0, n));
    },
    close() {
      libc().close(fd);
    },
  };
}
