/**
 * The Discovery server's connections from the network: Deno's HTTP server
 * keeps every connection open for as long as the client likes (idle
 * keep-alives, requests never finished), so the public listener is a small
 * TCP front that counts connections, refuses them past a limit, and closes
 * those idle or with an unanswered request for too long, passing bytes to
 * the HTTP server on a private Unix socket.
 *
 * @module
 */
import { rateLimited } from "../../core/logging.ts";
import type { Logger } from "../../core/logging.ts";

/** Connections open at once; more are closed as they arrive. */
export const MAX_CONNECTIONS = 256;
/** A connection without a byte either way for this long is closed, ms. */
export const IDLE_TIMEOUT_MS = 10_000;
/** A request not answered within this long (a client that never finishes it) is closed, ms. */
export const REQUEST_TIMEOUT_MS = 10_000;

const CHECK_INTERVAL_MS = 500;
const BUFFER_BYTES = 16 * 1024;

/** Options of {@link guardConnections}. */
export interface ConnectionGuardOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port to listen on; 0 picks one. */
  port: number;
  /** The HTTP server's Unix socket. */
  upstream: string;
  /** Connections open at once (default {@link MAX_CONNECTIONS}). */
  maxConnections?: number;
  /** Idle timeout, ms (default {@link IDLE_TIMEOUT_MS}). */
  idleTimeoutMs?: number;
  /** Unanswered-request timeout, ms (default {@link REQUEST_TIMEOUT_MS}). */
  requestTimeoutMs?: number;
  /** Where refusals and timeouts are logged (rate-limited). */
  logger: Logger;
}

/** A running guard. */
export interface ConnectionGuard {
  /** The bound address. */
  addr: Deno.NetAddr;
  /** Connections open now. */
  open(): number;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

interface Tracked {
  client: Deno.Conn;
  upstream?: Deno.Conn;
  /** Last byte either way, ms. */
  lastByte: number;
  /** First client byte not yet followed by a server byte, ms. */
  unansweredSince?: number;
  closed: boolean;
}

/** Listens on `hostname:port` and passes guarded connections to `upstream`. */
export function guardConnections(
  options: ConnectionGuardOptions,
): ConnectionGuard {
  const max = options.maxConnections ?? MAX_CONNECTIONS;
  const idleMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const requestMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const refused = rateLimited(10_000, (m) => options.logger.warn(m));
  const timedOut = rateLimited(10_000, (m) => options.logger.info(m));
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
  });
  const tracked = new Set<Tracked>();

  const end = (t: Tracked) => {
    if (t.closed) return;
    t.closed = true;
    tracked.delete(t);
    for (const conn of [t.client, t.upstream]) {
      try {
        conn?.close();
      } catch {
        // Already closed.
      }
    }
  };

  const pump = async (
    from: Deno.Conn,
    to: Deno.Conn,
    t: Tracked,
    fromClient: boolean,
  ) => {
    const buffer = new Uint8Array(BUFFER_BYTES);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        const now = performance.now();
        t.lastByte = now;
        if (fromClient) t.unansweredSince ??= now;
        else t.unansweredSince = undefined;
        let written = 0;
        while (written < n) {
          written += await to.write(buffer.subarray(written, n));
        }
      }
      await to.closeWrite();
    } catch {
      end(t);
    }
  };

  const serve = async (t: Tracked) => {
    try {
      t.upstream = await Deno.connect({
        transport: "unix",
        path: options.upstream,
      });
    } catch (error) {
      options.logger.error(`cannot reach the Discovery handler: ${error}`);
      end(t);
      return;
    }
    if (t.closed) {
      t.upstream.close();
      return;
    }
    await Promise.all([
      pump(t.client, t.upstream, t, true),
      pump(t.upstream, t.client, t, false),
    ]);
    end(t);
  };

  const accepting = (async () => {
    for await (const client of listener) {
      if (tracked.size >= max) {
        refused(
          `refused a connection from ${
            (client.remoteAddr as Deno.NetAddr).hostname
          }: ${max} connections open`,
        );
        client.close();
        continue;
      }
      const t: Tracked = {
        client,
        lastByte: performance.now(),
        closed: false,
      };
      tracked.add(t);
      serve(t);
    }
  })().catch(() => {});

  const sweeper = setInterval(() => {
    const now = performance.now();
    let idle = 0;
    let unanswered = 0;
    for (const t of tracked) {
      if (t.unansweredSince !== undefined) {
        if (now - t.unansweredSince > requestMs) {
          unanswered++;
          end(t);
        }
      } else if (now - t.lastByte > idleMs) {
        idle++;
        end(t);
      }
    }
    if (idle + unanswered > 0) {
      timedOut(
        `closed ${idle} idle connections (${idleMs} ms without a byte) and ${unanswered} with a request unfinished after ${requestMs} ms`,
      );
    }
  }, CHECK_INTERVAL_MS);

  return {
    addr: listener.addr as Deno.NetAddr,
    open: () => tracked.size,
    close: async () => {
      clearInterval(sweeper);
      listener.close();
      await accepting;
      for (const t of [...tracked]) end(t);
    },
  };
}
