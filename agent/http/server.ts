/**
 * The agent's HTTP server (`auki-edge run --http HOST:PORT`) on
 * `Deno.serve`: loopback by default, port 0 picks a free port.
 *
 * @module
 */
import { errorMessage, type Logger } from "../logging.ts";
import { httpHandler, type HttpSources } from "./routes.ts";

/** The default address of the HTTP server: loopback only. */
export const DEFAULT_HTTP = "127.0.0.1:8090";

/** Where the HTTP server listens. */
export interface HttpListen {
  /** Host name or IP address to bind. */
  hostname: string;
  /** TCP port; 0 picks a free one. */
  port: number;
}

/** A running HTTP server. */
export interface HttpServer {
  /** Its base URL, `http://HOST:PORT`, with the bound port. */
  readonly url: string;
  /** Stops serving and closes open connections. */
  stop(): Promise<void>;
}

/** Starts serving `sources`; throws naming the address when it cannot bind. */
export function startHttpServer(
  listen: HttpListen,
  sources: HttpSources,
  logger: Logger,
): HttpServer {
  const where = listen.hostname.includes(":")
    ? `[${listen.hostname}]:${listen.port}`
    : `${listen.hostname}:${listen.port}`;
  const handler = httpHandler(sources, logger);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: listen.hostname,
      port: listen.port,
      onListen: () => {},
      onError: (error) => {
        logger.warn(`HTTP: ${errorMessage(error)}`);
        return new Response("internal error\n", { status: 500 });
      },
    }, handler);
  } catch (error) {
    throw new Error(`cannot serve HTTP on ${where}: ${errorMessage(error)}`);
  }
  const { hostname, port } = server.addr;
  const url = `http://${
    hostname.includes(":") ? `[${hostname}]` : hostname
  }:${port}`;
  logger.info(`status page, /metrics and /healthz at ${url}`);
  return {
    url,
    async stop() {
      await server.shutdown();
    },
  };
}
