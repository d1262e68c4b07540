/**
 * Listen failures as one line naming the address and port: libp2p's
 * "failed to be listened on" error (with its fault-tolerance advice and the
 * socket's stack trace) and Deno's socket errors become
 * `cannot listen on <address>: port <port> is already in use`.
 *
 * @module
 */
import { errorMessage } from "../core/logging.ts";

/** The reason of a socket error in words, naming `port` when known. */
export function listenReason(text: string, port: string | undefined): string {
  const where = port === undefined ? "the port" : `port ${port}`;
  if (/EADDRINUSE|already in use|AddrInUse/i.test(text)) {
    return `${where} is already in use`;
  }
  // Deno's node:net reports a foreign address as EINVAL on listen.
  if (/EADDRNOTAVAIL|EINVAL|not available|AddrNotAvailable/i.test(text)) {
    return "the address is not one of this host's";
  }
  if (/EACCES|permission denied/i.test(text)) {
    return `no permission to listen on ${where} (ports below 1024 need privileges)`;
  }
  return text.split("\n")[0].replace(/^Error: /, "");
}

/**
 * libp2p's listen failure as one line naming each address that failed; any
 * other error is returned unchanged.
 */
export function libp2pListenError(error: unknown): unknown {
  if ((error as { name?: string }).name !== "UnsupportedListenAddressesError") {
    return error;
  }
  const failures = [...errorMessage(error).matchAll(/^ {2}(\/\S+): (.*)$/gm)]
    .map(([, addr, text]) =>
      `cannot listen on ${addr}: ${
        listenReason(text, /\/(?:tcp|udp)\/(\d+)/.exec(addr)?.[1])
      }`
    );
  return new Error(
    failures.length > 0 ? failures.join("; ") : "cannot listen",
  );
}

/** A failure to serve HTTP on `hostname:port` as one line naming them. */
export function httpListenError(
  error: unknown,
  hostname: string,
  port: number,
): Error {
  return new Error(
    `cannot listen on ${hostname}:${port}: ${
      listenReason(errorMessage(error), String(port))
    }`,
  );
}
