/**
 * A Discovery service for the generation-A `/clusters` API (spec cluster.md
 * 1.2, 1.6): an in-memory directory keyed by cluster name, swept of rows
 * whose Manager stopped posting liveness, with an optional bearer token on
 * every write (1.3). Rows are capped in number (429 past it) and in size,
 * and connections are guarded (`discovery_connections.ts`), so a flood
 * leaves its memory bounded.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import type { z } from "zod";
import { realtimeNs } from "../../core/clocks/system_time.ts";
import { parseJsonBytes, stringifyJson } from "../../core/codec/json.ts";
import { errorMessage, type Logger, silentLogger } from "../../core/logging.ts";
import { httpListenError } from "../listen_errors.ts";
import {
  CLUSTER_NAME_PATTERN,
  type ClusterEntry,
  describeIssues,
  isClusterName,
  LivenessRequest,
  ManagerRequest,
} from "./discovery_types.ts";
import { guardConnections } from "./discovery_connections.ts";
import { rateLimitedByKey } from "../../core/keyed_rate_limit.ts";
import { truncated } from "../../core/log_text.ts";

/** Rows without liveness for this long are swept (`LIVENESS_REQUIREMENT_NS`, 3 s). */
export const LIVENESS_REQUIREMENT_MS = 3_000;
/** How often the sweep runs, ms. */
const SWEEP_INTERVAL_MS = 500;
/** Largest request body accepted, bytes. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Clusters held at once unless told otherwise; creating more answers 429. */
export const MAX_CLUSTERS = 256;
/** Largest Manager entry (peer id and addresses as JSON) a row holds, bytes. */
export const MAX_ROW_BYTES = 16 * 1024;

/** Options of {@link startDiscoveryServer}. */
export interface DiscoveryServerOptions {
  /** Address to bind (default `127.0.0.1`). */
  hostname?: string;
  /** Port to bind; 0 picks a free one (default 0). */
  port?: number;
  /** Sweep rows without liveness for this long, ms (default {@link LIVENESS_REQUIREMENT_MS}). */
  ttlMs?: number;
  /** When set, every write (create, liveness, manager, delete) needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Clusters held at once (default {@link MAX_CLUSTERS}). */
  maxClusters?: number;
  /** Connections open at once (default 256). */
  maxConnections?: number;
  /** Close connections idle, or with a request unfinished, this long, ms (default 10 s). */
  connectionTimeoutMs?: number;
  /** Where request and sweep lines go (default: nowhere). */
  logger?: Logger;
}

/** A running Discovery service. */
export interface DiscoveryServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The bound port. */
  port: number;
  /** Stops sweeping and closes the listener; idempotent. */
  stop(): Promise<void>;
}

/** An error answer: the status, the `{"error"}` message and extra headers. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const ROUTE = /^\/clusters(?:\/([^/]*)(?:\/(liveness|manager))?)?$/;

/** Starts a Discovery service on `hostname:port`. */
export function startDiscoveryServer(
  options: DiscoveryServerOptions = {},
): DiscoveryServer {
  const logger = options.logger ?? silentLogger;
  const ttlNs = BigInt(options.ttlMs ?? LIVENESS_REQUIREMENT_MS) * 1_000_000n;
  const rows = new Map<string, ClusterEntry>();
  const maxClusters = options.maxClusters ?? MAX_CLUSTERS;
  const failed = rateLimitedByKey(10_000, (m) => logger.info(m));
  const expected = options.token === undefined
    ? undefined
    : new TextEncoder().encode(options.token);

  const authorized = (header: string | null): boolean => {
    if (expected === undefined) return true;
    const token = /^bearer\s+(.+)$/i.exec(header?.trim() ?? "")?.[1].trim();
    if (token === undefined) return false;
    const given = new TextEncoder().encode(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  /** Refuses creating `name` when it is taken or the rows are at their limit. */
  const refuseCreation = (name: string): void => {
    if (rows.has(name)) {
      throw new Refusal(409, `cluster "${name}" already exists`);
    }
    if (rows.size >= maxClusters) {
      throw new Refusal(
        429,
        `this Discovery holds its limit of ${maxClusters} clusters`,
        { "retry-after": String(Math.ceil(Number(ttlNs / 1_000_000_000n))) },
      );
    }
  };

  const route = async (request: Request, path: string): Promise<Reply> => {
    const match = ROUTE.exec(path);
    if (match === null) throw new Refusal(404, `no route ${path}`);
    const [, segment, action] = match;
    const allowed = segment === undefined
      ? "GET"
      : action === undefined
      ? "POST, DELETE"
      : "POST";
    if (!allowed.split(", ").includes(request.method)) {
      throw new Refusal(405, `${request.method} not allowed on ${path}`, {
        allow: allowed,
      });
    }
    if (segment === undefined) {
      return { status: 200, body: { clusters: listed(rows) } };
    }
    if (!authorized(request.headers.get("authorization"))) {
      throw new Refusal(401, "missing or invalid bearer token", {
        "www-authenticate": "Bearer",
      });
    }
    const name = clusterName(segment);
    if (request.method === "DELETE") {
      existing(rows, name);
      rows.delete(name);
      return { status: 204 };
    }
    if (action === "liveness") {
      const { peer_count } = await readBody(request, LivenessRequest);
      const row = existing(rows, name);
      row.peer_count = peer_count;
      row.last_liveness_check_ns = realtimeNs();
      return { status: 200, body: row };
    }
    if (action === undefined) {
      // Refused before the body is read: a flood costs no parsing.
      refuseCreation(name);
    }
    const manager = await readBody(request, ManagerRequest);
    const now = realtimeNs();
    const fields = {
      manager_peer_id: manager.manager_peer_id,
      manager_multiaddrs: manager.manager_multiaddrs,
      relay_multiaddrs: manager.relay_multiaddrs ?? [],
    };
    const rowBytes = stringifyJson(fields).length;
    if (rowBytes > MAX_ROW_BYTES) {
      throw new Refusal(
        413,
        `the Manager entry is ${rowBytes} bytes, more than ${MAX_ROW_BYTES}`,
      );
    }
    if (action === "manager") {
      const row = existing(rows, name);
      Object.assign(row, fields, { last_liveness_check_ns: now });
      return { status: 200, body: row };
    }
    // Checked again: another creation may have finished while this body was read.
    refuseCreation(name);
    const row: ClusterEntry = {
      name,
      ...fields,
      peer_count: 1,
      created_ns: now,
      last_liveness_check_ns: now,
    };
    rows.set(name, row);
    return { status: 201, body: row };
  };

  const handle = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    let reply: Reply;
    try {
      reply = await route(request, path);
    } catch (error) {
      if (!(error instanceof Refusal)) {
        logger.error(`${request.method} ${truncated(path)}: ${error}`);
      }
      reply = error instanceof Refusal
        ? {
          status: error.status,
          body: { error: error.message },
          headers: error.headers,
        }
        : { status: 500, body: { error: "internal error" } };
    }
    if (request.method !== "GET") {
      const error = (reply.body as { error?: string } | undefined)?.error;
      // Liveness repeats every second per cluster: only failures at info.
      const routine = path.endsWith("/liveness") && reply.status < 300;
      const line = `${request.method} ${truncated(path)} ${reply.status}${
        error ? `: ${truncated(error, 400)}` : ""
      }`;
      // Failures can come at any rate from anyone: one line per kind and 10 s.
      if (reply.status >= 400) {
        failed(`${request.method} ${reply.status}`, line);
      } else (routine ? logger.debug : logger.info)(line);
    }
    return respond(reply);
  };

  const hostname = options.hostname ?? "127.0.0.1";
  const requestedPort = options.port ?? 0;
  // The HTTP server listens on a private Unix socket behind the guard.
  const socketDir = Deno.makeTempDirSync({ prefix: "auki-edge-discovery-" });
  const socket = join(socketDir, "http.sock");
  const server = Deno.serve({
    path: socket,
    onListen: () => {},
    onError: (error) => {
      logger.error(`request failed: ${error}`);
      return respond({ status: 500, body: { error: "internal error" } });
    },
  }, handle);

  const sweeper = setInterval(() => {
    const now = realtimeNs();
    for (const [name, row] of rows) {
      const silent = now - row.last_liveness_check_ns;
      if (silent > ttlNs) {
        rows.delete(name);
        logger.info(
          `swept cluster "${name}": no liveness for ${silent / 1_000_000n} ms`,
        );
      }
    }
  }, SWEEP_INTERVAL_MS);

  let guard;
  try {
    guard = guardConnections({
      hostname,
      port: requestedPort,
      upstream: socket,
      maxConnections: options.maxConnections,
      idleTimeoutMs: options.connectionTimeoutMs,
      requestTimeoutMs: options.connectionTimeoutMs,
      logger,
    });
  } catch (error) {
    clearInterval(sweeper);
    server.shutdown().finally(() =>
      Deno.remove(socketDir, { recursive: true }).catch(() => {})
    );
    throw httpListenError(error, hostname, requestedPort);
  }
  const port = guard.addr.port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${clientHost(guard.addr.hostname)}:${port}`,
    port,
    stop: () => {
      stopped ??= (async () => {
        clearInterval(sweeper);
        await guard.close();
        await server.shutdown();
        await Deno.remove(socketDir, { recursive: true }).catch(() => {});
      })();
      return stopped;
    },
  };
}

function listed(rows: Map<string, ClusterEntry>): ClusterEntry[] {
  return [...rows.values()].sort((a, b) =>
    a.created_ns === b.created_ns
      ? a.name.localeCompare(b.name)
      : a.created_ns < b.created_ns
      ? 1
      : -1
  );
}

function clusterName(segment: string): string {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  if (!isClusterName(name)) {
    throw new Refusal(
      400,
      `invalid cluster name ${
        truncated(JSON.stringify(name))
      }: must match ${CLUSTER_NAME_PATTERN.source}`,
    );
  }
  return name;
}

function existing(rows: Map<string, ClusterEntry>, name: string): ClusterEntry {
  const row = rows.get(name);
  if (row === undefined) throw new Refusal(404, `cluster "${name}" not found`);
  return row;
}

async function readBody<T extends z.ZodType>(
  request: Request,
  schema: T,
): Promise<z.output<T>> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    for await (const chunk of request.body) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw tooLarge();
      chunks.push(chunk);
    }
  }
  const bytes = new Uint8Array(size);
  chunks.reduce((offset, chunk) => {
    bytes.set(chunk, offset);
    return offset + chunk.length;
  }, 0);
  let value: unknown;
  try {
    value = parseJsonBytes(bytes);
  } catch (error) {
    throw new Refusal(
      400,
      `malformed JSON body: ${errorMessage(error)}`,
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Refusal(422, `invalid body: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

function tooLarge(): Refusal {
  return new Refusal(413, `body larger than ${MAX_BODY_BYTES} bytes`);
}

function respond(reply: Reply): Response {
  if (reply.body === undefined) {
    return new Response(null, { status: reply.status, headers: reply.headers });
  }
  return new Response(stringifyJson(reply.body), {
    status: reply.status,
    headers: { "content-type": "application/json", ...reply.headers },
  });
}

/** The host a local client dials: loopback for wildcard binds, IPv6 bracketed. */
function clientHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
