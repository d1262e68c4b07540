/**
 * The agent's HTTP server (`auki-edge run --http HOST:PORT`) on
 * `Deno.serve`: loopback by default, port 0 picks a free port.
 *
 * @module
 */
import { errorMessage, type Logger } from "../../core/logging.ts";
import { httpListenError } from "../listen_errors.ts";
import { type HttpHandler, httpHandler, type HttpSources } from "./routes.ts";

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
  /** Starts answering from `sources`; until then every request gets 503. */
  serve(sources: HttpSources): void;
  /** Stops serving and closes open connections. */
  stop(): Promise<void>;
}

/**
 * Binds the server (throws one line naming the address when it cannot);
 * it answers 503 until {@link HttpServer.serve} gives it the agent.
 */
export function startHttpServer(
  listen: HttpListen,
  logger: Logger,
): HttpServer {
  let handler: HttpHandler | undefined;
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
    }, (request) =>
      handler?.handle(request) ??
        Response.json({ error: "the agent is starting" }, { status: 503 }));
  } catch (error) {
    throw new Error(
      `HTTP server: ${
        httpListenError(error, listen.hostname, listen.port).message
      }`,
    );
  }
  const { hostname, port } = server.addr;
  const url = `http://${
    hostname.includes(":") ? `[${hostname}]` : hostname
  }:${port}`;
  return {
    url,
    serve(sources) {
      handler = httpHandler(sources, logger);
      logger.info(`status page, /metrics and /healthz at ${url}`);
    },
    async stop() {
      await server.shutdown();
      handler?.close();
    },
  };
}
