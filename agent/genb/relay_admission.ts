/**
 * Relay source admission `/auki-p2p/relay-auth/1` (spec genb.md 1.4): before
 * dialing a device through a gen-B relay, the dialer presents its token for
 * the target on a direct connection to the relay. Relays that do not speak
 * the protocol (auki-edge's own, generation A's) are used without it.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
import { encodeFrame, FrameReader } from "../../core/codec/framing.ts";
import { errorMessage } from "../../core/logging.ts";
import type { Authority } from "./authority.ts";

/** The admission protocol id. */
export const RELAY_AUTH = "/auki-p2p/relay-auth/1";
/** Timeout of the admission exchange, ms. */
export const ADMISSION_TIMEOUT_MS = 10_000;
/** How far ahead `accepted_until` may lie, ms. */
export const MAX_ACCEPTED_AHEAD_MS = 30_000;

const REQUEST_LIMITS = { maxBytes: 64 * 1024 };
const RESPONSE_LIMITS = { maxBytes: 4 * 1024 };

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

/**
 * Runs the admission exchange with the relay of `target` when it is a
 * circuit address. A relay without the protocol is used as it is; a refusal
 * throws {@link AdmissionError}.
 */
export async function admitThroughRelay(
  node: Libp2p,
  target: Multiaddr,
  authority: Authority,
): Promise<void> {
  const circuit = relayOf(target);
  if (circuit === undefined) return;
  const signal = AbortSignal.timeout(ADMISSION_TIMEOUT_MS);
  let stream;
  try {
    stream = await node.dialProtocol(circuit.relay, RELAY_AUTH, { signal });
  } catch (error) {
    if ((error as Error).name === "UnsupportedProtocolError") return;
    throw error;
  }
  try {
    stream.send(encodeFrame(
      admissionRequest(
        authority.domainId,
        circuit.targetPeerId,
        authority.localToken(),
      ),
      REQUEST_LIMITS,
    ));
    const body = await new FrameReader(stream, RESPONSE_LIMITS).read(signal);
    if (body === null) {
      throw new AdmissionError("relay admission: no answer from the relay");
    }
    acceptedUntil(body, Date.now(), authority.localExpiry() ?? 0);
    await stream.close({ signal }).catch(() => {});
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}
