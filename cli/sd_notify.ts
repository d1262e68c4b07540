/**
 * The systemd notification protocol (`sd_notify(3)`) for the long-running
 * commands: `READY=1` once serving, `WATCHDOG=1` pings while the event loop
 * runs, `STOPPING=1` at shutdown. Each message is one datagram on the
 * AF_UNIX socket named by `$NOTIFY_SOCKET` (a path, or an abstract name
 * starting with `@`), sent through the libc FFI. Without `$NOTIFY_SOCKET`
 * nothing is sent.
 *
 * @module
 */
import { cString, errno, libc } from "../ffi/libc.ts";
import { errorMessage, type Logger } from "../core/logging.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** `sizeof(struct sockaddr_un)`: a 2-byte family and a 108-byte path. */
const SOCKADDR_UN_SIZE = 110;

/**
 * `struct sockaddr_un` for `name`: a file path, or an abstract socket when
 * it starts with `@` (a leading NUL byte, no terminator). Returns the
 * address and its length.
 */
export function unixAddress(name: string): [Uint8Array<ArrayBuffer>, number] {
  const abstract = name.startsWith("@");
  if (!abstract && !name.startsWith("/")) {
    throw new Error(
      `"${name}" is neither an absolute path nor an abstract name (@...)`,
    );
  }
  const path = abstract
    ? new Uint8Array([0, ...new TextEncoder().encode(name.slice(1))])
    : cString(name);
  if (path.length > SOCKADDR_UN_SIZE - 2) {
    throw new Error(`"${name}" is longer than a unix socket address allows`);
  }
  const address = new Uint8Array(SOCKADDR_UN_SIZE);
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(path, 2);
  return [address, 2 + path.length - (abstract ? 0 : 1)];
}

/** A new AF_UNIX datagram socket (close-on-exec); throws with errno. */
export function unixDatagramSocket(): number {
  const fd = libc().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket(AF_UNIX) failed: errno ${errno()}`);
  return fd;
}

/**
 * Sends `state` (newline-separated `KEY=VALUE` assignments) to the service
 * manager's socket `socket` as one datagram; throws naming the socket when
 * that fails.
 */
export function sdNotify(socket: string, state: string): void {
  const [address, length] = unixAddress(socket);
  const fd = unixDatagramSocket();
  try {
    const message = new TextEncoder().encode(state);
    const sent = libc().sendto(
      fd,
      message,
      BigInt(message.length),
      MSG_DONTWAIT | MSG_NOSIGNAL,
      address,
      length,
    );
    if (sent < 0) {
      throw new Error(`sendto ${socket} failed: errno ${errno()}`);
    }
  } finally {
    libc().close(fd);
  }
}

/**
 * The watchdog ping interval in ms, half of `$WATCHDOG_USEC`, when the
 * service manager expects pings from process `pid` (`$WATCHDOG_PID` absent
 * or equal); `undefined` otherwise.
 */
export function watchdogIntervalMs(
  env: (name: string) => string | undefined,
  pid: number,
): number | undefined {
  const usec = env("WATCHDOG_USEC");
  const watchdogPid = env("WATCHDOG_PID");
  if (usec === undefined || !/^[1-9]\d*$/.test(usec)) return undefined;
  if (watchdogPid !== undefined && watchdogPid !== String(pid)) {
    return undefined;
  }
  return Math.max(1, Math.floor(Number(usec) / 2000));
}

/** Tells the service manager how the command is doing. */
export interface ServiceNotifier {
  /** Sends `READY=1` with a status line. */
  ready(status: string): void;
  /** Sends a status line (shown by `systemctl status`). */
  status(status: string): void;
  /** Sends `STOPPING=1` with a status line. */
  stopping(status: string): void;
  /** Stops the watchdog pings. */
  close(): void;
}

/**
 * Starts notifying the service manager named by the environment: watchdog
 * pings from a timer on this event loop (so they stop when it hangs), and
 * the messages of {@link ServiceNotifier}. Without `$NOTIFY_SOCKET` every
 * method does nothing. A failed send is logged once as a warning.
 */
export function startServiceNotifier(
  logger: Logger,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): ServiceNotifier {
  const socket = env("NOTIFY_SOCKET");
  if (socket === undefined || socket === "") {
    return { ready() {}, status() {}, stopping() {}, close() {} };
  }
  let warned = false;
  const send = (state: string) => {
    try {
      sdNotify(socket, state);
    } catch (error) {
      if (!warned) {
        logger.warn(`systemd notification: ${errorMessage(error)}`);
      }
      warned = true;
    }
  };
  const interval = watchdogIntervalMs(env, Deno.pid);
  const timer = interval === undefined
    ? undefined
    : setInterval(() => send("WATCHDOG=1"), interval);
  if (timer !== undefined) Deno.unrefTimer(timer);
  return {
    ready: (status) => send(`READY=1\nSTATUS=${status}`),
    status: (status) => send(`STATUS=${status}`),
    stopping: (status) => send(`STOPPING=1\nSTATUS=${status}`),
    close: () => clearInterval(timer),
  };
}
