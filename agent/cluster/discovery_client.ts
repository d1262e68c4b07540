/**
 * HTTP client of the generation-A Discovery `/clusters` API (spec cluster.md
 * 1.2, 1.3), shaped like the Rust `DiscoveryClient`: a 2 s bound on every
 * request, 409 on create as an outcome rather than an error, and relay hints
 * derived from circuit addresses.
 *
 * @module
 */
import { multiaddr } from "@multiformats/multiaddr";
import type { z } from "zod";
import { parseJson, stringifyJson } from "../../core/codec/json.ts";
import {
  canonicalMultiaddr,
  canonicalPeerId,
  ClusterEntry,
  type CreateClusterOutcome,
  describeIssues,
  ErrorBody,
  ListResponse,
} from "./discovery_types.ts";
import { errorMessage } from "../../core/logging.ts";

/** Bound on one Discovery round trip, body included (`DISCOVERY_HTTP_TIMEOUT`). */
export const DISCOVERY_HTTP_TIMEOUT_MS = 2_000;

/** Any failure of a Discovery call. */
export class DiscoveryError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DiscoveryError";
  }
}

/** Discovery could not be reached or did not answer in time. */
export class DiscoveryUnreachableError extends DiscoveryError {
  /** Creates the error for the request to `url`. */
  constructor(readonly url: string, reason: string) {
    super(`Discovery at ${url} is unreachable: ${reason}`);
    this.name = "DiscoveryUnreachableError";
  }
}

/** Discovery answered with an unexpected status (any non-2xx but 409 on create). */
export class DiscoveryStatusError extends DiscoveryError {
  /** Creates the error from the status and the body text. */
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(
      `Discovery ${method} ${url} returned HTTP ${status}: ${summary(body)}`,
    );
    this.name = "DiscoveryStatusError";
  }
}

/** A 404 on a cluster's row: it was never created, deregistered or swept. */
export class DiscoveryRowMissing extends DiscoveryStatusError {
  /** Creates the error; `name` is the cluster whose row is missing. */
  constructor(
    readonly cluster: string,
    method: string,
    url: string,
    body: string,
  ) {
    super(method, url, 404, body);
    this.name = "DiscoveryRowMissing";
  }
}

/** A 2xx answer whose body is not the expected JSON. */
export class DiscoveryResponseError extends DiscoveryError {
  /** Creates the error. */
  constructor(method: string, url: string, reason: string) {
    super(`Discovery ${method} ${url}: invalid response: ${reason}`);
    this.name = "DiscoveryResponseError";
  }
}

/**
 * Normalises an Authorization value as `with_authorization` does: blank
 * clears it, `Bearer x` in any case becomes `Bearer x`, a raw token becomes
 * `Bearer <token>`.
 */
export function normalizeAuthorization(raw: string): string | undefined {
  const value = raw.trim();
  if (value === "") return undefined;
  const split = /^(\S+)\s+([\s\S]*)$/.exec(value);
  if (split !== null && split[1].toLowerCase() === "bearer") {
    const token = split[2].trim();
    return token === "" ? undefined : `Bearer ${token}`;
  }
  return `Bearer ${value}`;
}

/**
 * `relay_multiaddrs` of a create or rotate body: the explicit hints, then the
 * relay base (everything before `/p2p-circuit`) of each manager address whose
 * circuit names a relay peer, deduplicated (spec 1.2, "Derived relay hints").
 */
export function relayHints(
  managerMultiaddrs: readonly string[],
  explicit: readonly string[] = [],
): string[] {
  const hints = explicit.map(canonicalMultiaddr);
  for (const address of managerMultiaddrs) {
    const components = multiaddr(address).getComponents();
    const circuit = components.findIndex((c) => c.name === "p2p-circuit");
    if (circuit < 0) continue;
    const base = components.slice(0, circuit);
    if (!base.some((c) => c.name === "p2p")) continue;
    const relay = multiaddr(base).toString();
    if (!hints.includes(relay)) hints.push(relay);
  }
  return hints;
}

/** Options of {@link DiscoveryClient}. */
export interface DiscoveryClientOptions {
  /** Authorization for Discovery, normalised by {@link normalizeAuthorization}. */
  authorization?: string;
  /** Bound on each request, ms (default {@link DISCOVERY_HTTP_TIMEOUT_MS}). */
  timeoutMs?: number;
}

interface Answer {
  method: string;
  url: string;
  status: number;
  text: string;
}

/** Client of one Discovery instance. */
export class DiscoveryClient {
  /** The base URL, trailing `/` stripped. */
  readonly baseUrl: string;
  /** The Authorization header sent with every request, if any. */
  readonly authorization: string | undefined;
  readonly #timeoutMs: number;

  /** Creates a client; throws a TypeError unless `baseUrl` is an http(s) URL. */
  constructor(baseUrl: string, options: DiscoveryClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    if (
      !URL.canParse(this.baseUrl) ||
      !/^https?:$/.test(new URL(this.baseUrl).protocol)
    ) {
      throw new TypeError(`"${baseUrl}" is not an http(s) URL`);
    }
    this.authorization = options.authorization === undefined
      ? undefined
      : normalizeAuthorization(options.authorization);
    this.#timeoutMs = options.timeoutMs ?? DISCOVERY_HTTP_TIMEOUT_MS;
  }

  /** `GET /clusters`: every row, newest `created_ns` first as Discovery sorts them. */
  async listClusters(): Promise<ClusterEntry[]> {
    const answer = await this.#send("GET", "/clusters");
    if (!ok(answer)) throw statusError(answer);
    return decode(answer, ListResponse).clusters;
  }

  /** `POST /clusters/{name}`: 201 creates the row, 409 means the name is taken. */
  async createCluster(
    name: string,
    managerPeerId: string,
    multiaddrs: readonly string[],
    relayMultiaddrs: readonly string[] = [],
  ): Promise<CreateClusterOutcome> {
    const answer = await this.#send(
      "POST",
      clusterPath(name),
      managerBody(managerPeerId, multiaddrs, relayMultiaddrs),
    );
    if (answer.status === 201) {
      return { outcome: "created", entry: decode(answer, ClusterEntry) };
    }
    if (answer.status === 409) return { outcome: "already_exists" };
    throw statusError(answer);
  }

  /** `POST /clusters/{name}/liveness`: reports the peer count, returns the updated row. */
  async livenessCheck(name: string, peerCount: number): Promise<ClusterEntry> {
    if (
      !Number.isInteger(peerCount) || peerCount < 0 || peerCount > 0xffff_ffff
    ) {
      throw new RangeError(`peer count ${peerCount} is not a u32`);
    }
    return await this.#rowRequest(
      name,
      "POST",
      `${clusterPath(name)}/liveness`,
      {
        peer_count: peerCount,
      },
    );
  }

  /** `POST /clusters/{name}/manager`: swaps the Manager hint; a 404 is {@link DiscoveryRowMissing}. */
  async rotateManager(
    name: string,
    peerId: string,
    multiaddrs: readonly string[],
    relayMultiaddrs: readonly string[] = [],
  ): Promise<ClusterEntry> {
    return await this.#rowRequest(
      name,
      "POST",
      `${clusterPath(name)}/manager`,
      managerBody(peerId, multiaddrs, relayMultiaddrs),
    );
  }

  /** `DELETE /clusters/{name}`: removes the row; any 2xx is success. */
  async deregister(name: string): Promise<void> {
    const answer = await this.#send("DELETE", clusterPath(name));
    if (!ok(answer)) throw statusError(answer, name);
  }

  async #rowRequest(
    name: string,
    method: string,
    path: string,
    body: unknown,
  ): Promise<ClusterEntry> {
    const answer = await this.#send(method, path, body);
    if (!ok(answer)) throw statusError(answer, name);
    return decode(answer, ClusterEntry);
  }

  async #send(method: string, path: string, body?: unknown): Promise<Answer> {
    const url = `${this.baseUrl}${path}`;
    const headers = new Headers();
    if (body !== undefined) headers.set("content-type", "application/json");
    if (this.authorization !== undefined) {
      headers.set("authorization", this.authorization);
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#timeoutMs);
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : stringifyJson(body),
        signal: abort.signal,
      });
      return {
        method,
        url,
        status: response.status,
        text: await response.text(),
      };
    } catch (error) {
      throw new DiscoveryUnreachableError(
        url,
        abort.signal.aborted
          ? `no answer within ${this.#timeoutMs} ms`
          : fetchFailure(error),
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

function clusterPath(name: string): string {
  return `/clusters/${encodeURIComponent(name)}`;
}

function managerBody(
  peerId: string,
  multiaddrs: readonly string[],
  relayMultiaddrs: readonly string[],
): Record<string, unknown> {
  const relays = relayHints(multiaddrs, relayMultiaddrs);
  return {
    manager_peer_id: canonicalPeerId(peerId),
    manager_multiaddrs: multiaddrs.map(canonicalMultiaddr),
    ...(relays.length > 0 ? { relay_multiaddrs: relays } : {}),
  };
}

function ok(answer: Answer): boolean {
  return answer.status >= 200 && answer.status < 300;
}

function statusError(answer: Answer, cluster?: string): DiscoveryStatusError {
  return answer.status === 404 && cluster !== undefined
    ? new DiscoveryRowMissing(cluster, answer.method, answer.url, answer.text)
    : new DiscoveryStatusError(
      answer.method,
      answer.url,
      answer.status,
      answer.text,
    );
}

function decode<T extends z.ZodType>(answer: Answer, schema: T): z.output<T> {
  let value: unknown;
  try {
    value = parseJson(answer.text);
  } catch (error) {
    throw new DiscoveryResponseError(
      answer.method,
      answer.url,
      `not JSON (${errorMessage(error)})`,
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new DiscoveryResponseError(
      answer.method,
      answer.url,
      describeIssues(parsed.error),
    );
  }
  return parsed.data;
}

function summary(body: string): string {
  try {
    const parsed = ErrorBody.safeParse(parseJson(body));
    if (parsed.success) return firstLine(parsed.data.error);
  } catch {
    // Not JSON: show the text itself.
  }
  return body.trim() === "" ? "(empty body)" : firstLine(body);
}

/**
 * Why a fetch failed: Deno says only "fetch failed" and keeps the reason
 * (e.g. `tcp connect error: Connection refused (os error 111)`) in the
 * cause, after the request's description.
 */
function fetchFailure(error: unknown): string {
  const message = errorMessage(error);
  const cause = error instanceof Error && error.cause instanceof Error
    ? error.cause.message.split("): ").at(-1)
    : undefined;
  return firstLine(cause ? `${message}: ${cause}` : message);
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0];
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
