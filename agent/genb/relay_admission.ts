/**
 * Relay source admission `/auki-p2p/relay-auth/1` (spec genb.md 1.4): before
 * dialing a device through a gen-B relay, the dialer presents its token for
 * the target on a direct connection to the relay. Relays that do not speak
 * the protocol (generation A's) are used without it. Admissions are cached
 * per relay connection, target, domain and token until shortly before they
 * end.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
import { encodeFrame, FrameReader } from "../../core/codec/framing.ts";
import { errorMessage } from "../../core/logging.ts";
import type { Authority } from "./authority.ts";
import { parseToken } from "./token.ts";

/** The admission protocol id. */
export const RELAY_AUTH = "/auki-p2p/relay-auth/1";
/** Timeout of the admission exchange, ms. */
export const ADMISSION_TIMEOUT_MS = 10_000;
/** How far ahead `accepted_until` may lie, ms. */
export const MAX_ACCEPTED_AHEAD_MS = 30_000;

/** Frame limits of an admission request (it carries a token). */
export const REQUEST_LIMITS = { maxBytes: 64 * 1024 };
/** Frame limits of an admission response. */
export const RESPONSE_LIMITS = { maxBytes: 4 * 1024 };

const Response = z.union([
  z.strictObject({ accepted: z.literal(true), accepted_until: z.string() }),
  z.strictObject({ accepted: z.literal(false) }),
]);

/** The relay refused the admission, or answered out of bounds. */
export class AdmissionError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "AdmissionError";
  }
}

/** The request body, exactly the SDK's member order. */
export function admissionRequest(
  domainId: string,
  targetPeerId: string,
  token: string,
): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    version: 1,
    domain_id: domainId,
    target_peer_id: targetPeerId,
    p2p_access_token: token,
  }));
}

/**
 * Checks a response body at `nowMs` for a token expiring at `tokenExpS`;
 * returns `accepted_until` in ms, throws {@link AdmissionError} otherwise.
 */
export function acceptedUntil(
  body: Uint8Array,
  nowMs: number,
  tokenExpS: number,
): number {
  let parsed: z.infer<typeof Response>;
  try {
    parsed = Response.parse(JSON.parse(new TextDecoder().decode(body)));
  } catch (error) {
    throw new AdmissionError(
      `relay admission: malformed answer (${errorMessage(error)})`,
    );
  }
  if (!parsed.accepted) throw new AdmissionError("the relay refused admission");
  const until = Date.parse(parsed.accepted_until);
  if (
    !/Z$/.test(parsed.accepted_until) || Number.isNaN(until) ||
    until > nowMs + MAX_ACCEPTED_AHEAD_MS || until > tokenExpS * 1000
  ) {
    throw new AdmissionError(
      `relay admission: accepted_until ${parsed.accepted_until} is out of bounds`,
    );
  }
  return until;
}

/** The relay part of a circuit address (`<relay>/p2p-circuit/p2p/<target>`); undefined for others. */
export function relayOf(
  target: Multiaddr,
): { relay: Multiaddr; targetPeerId: string } | undefined {
  const text = target.toString();
  const match = /^(.+)\/p2p-circuit\/p2p\/([^/]+)$/.exec(text);
  if (match === null) return undefined;
  return { relay: multiaddr(match[1]), targetPeerId: match[2] };
}

/** Admissions are used until this long before their `accepted_until`, ms. */
export const ADMISSION_MARGIN_MS = 1_000;
/** Most admissions a cache keeps. */
export const ADMISSION_CACHE_SIZE = 256;

/**
 * Admissions granted, per (relay, relay connection, target, domain, token
 * `iat`) as genb.md 1.4 keys them, each until `accepted_until` − 1 s.
 */
export class AdmissionCache {
  readonly #until = new Map<string, number>();

  /** The cache key of one admission. */
  static key(
    relay: string,
    connectionId: string,
    target: string,
    domainId: string,
    iat: number,
  ): string {
    return [relay, connectionId, target, domainId, iat].join(" ");
  }

  /** Whether `key` is admitted at `nowMs`. */
  admitted(key: string, nowMs: number): boolean {
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (nowMs < until - ADMISSION_MARGIN_MS) return true;
    this.#until.delete(key);
    return false;
  }

  /** Records an admission of `key` until `acceptedUntilMs`. */
  admit(key: string, acceptedUntilMs: number, nowMs: number): void {
    for (const [k, until] of this.#until) {
      if (nowMs >= until - ADMISSION_MARGIN_MS) this.#until.delete(k);
    }
    if (this.#until.size >= ADMISSION_CACHE_SIZE) {
      this.#until.delete(this.#until.keys().next().value!);
    }
    this.#until.set(key, acceptedUntilMs);
  }

  /** How many admissions are held. */
  get size(): number {
    return this.#until.size;
  }
}

const caches = new WeakMap<Libp2p, AdmissionCache>();

/** The admission cache of `node` (one per node). */
function admissionCacheOf(node: Libp2p): AdmissionCache {
  let cache = caches.get(node);
  if (cache === undefined) {
    cache = new AdmissionCache();
    caches.set(node, cache);
  }
  return cache;
}

/** The `iat` of a token, when it parses. */
function tokenIat(token: string): number | undefined {
  try {
    return parseToken(token).claims.iat;
  } catch {
    return undefined;
  }
}

/**
 * Runs the admission exchange with the relay of `target` when it is a
 * circuit address, unless the node's cache holds an admission for the
 * same relay connection, target, domain and token. A relay without the
 * protocol is used as it is; a refusal throws {@link AdmissionError}.
 */
export async function admitThroughRelay(
  node: Libp2p,
  target: Multiaddr,
  authority: Authority,
): Promise<void> {
  const circuit = relayOf(target);
  if (circuit === undefined) return;
  const signal = AbortSignal.timeout(ADMISSION_TIMEOUT_MS);
  const token = authority.localToken();
  const connection = await node.dial(circuit.relay, { signal });
  const iat = tokenIat(token);
  const cache = admissionCacheOf(node);
  const key = iat === undefined ? undefined : AdmissionCache.key(
    connection.remotePeer.toString(),
    connection.id,
    circuit.targetPeerId,
    authority.domainId,
    iat,
  );
  if (key !== undefined && cache.admitted(key, Date.now())) return;
  let stream;
  try {
    stream = await connection.newStream(RELAY_AUTH, { signal });
  } catch (error) {
    if ((error as Error).name === "UnsupportedProtocolError") return;
    throw error;
  }
  try {
    stream.send(encodeFrame(
      admissionRequest(authority.domainId, circuit.targetPeerId, token),
      REQUEST_LIMITS,
    ));
    const body = await new FrameReader(stream, RESPONSE_LIMITS).read(signal);
    if (body === null) {
      throw new AdmissionError("relay admission: no answer from the relay");
    }
    const until = acceptedUntil(
      body,
      Date.now(),
      authority.localExpiry() ?? 0,
    );
    if (key !== undefined) cache.admit(key, until, Date.now());
    await stream.close({ signal }).catch(() => {});
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}
