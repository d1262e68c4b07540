/**
 * The consumer side of the authenticated protocols: open a `/auki/auth/1/...`
 * stream, run the token handshake bound to the dialed peer's Noise id, then
 * speak the protocol's codec.
 *
 * @module
 */
import type { Libp2p, Stream } from "@libp2p/interface";
import type { FrameLimits } from "../../core/codec/framing.ts";
import {
  exchangeOn,
  REQUESTER_TIMEOUT_MS,
  type Target,
} from "../protocols/exchange.ts";
import { OVER_RELAYS } from "../protocols/ids.ts";
import { authenticateStream, type HandshakeParty } from "./handshake.ts";

/**
 * Opens `protocol` to `target` and authenticates the stream; when `expected`
 * is given, the dialed peer must be that peer id.
 */
export async function openAuthenticated(
  node: Libp2p,
  target: Target,
  protocol: string,
  party: HandshakeParty,
  options: { signal?: AbortSignal; expected?: string } = {},
): Promise<Stream> {
  const connection = await node.dial(target, { signal: options.signal });
  const remote = connection.remotePeer.toString();
  if (options.expected !== undefined && remote !== options.expected) {
    throw new Error(`dialed ${remote}, expected ${options.expected}`);
  }
  const stream = await connection.newStream(protocol, {
    signal: options.signal,
    ...OVER_RELAYS,
  });
  await authenticateStream(stream, remote, party);
  return stream;
}

/** One authenticated request and its response body. */
export async function authRequest(
  node: Libp2p,
  target: Target,
  protocol: string,
  body: Uint8Array,
  limits: FrameLimits,
  party: HandshakeParty,
  timeoutMs: number = REQUESTER_TIMEOUT_MS,
): Promise<Uint8Array> {
  const stream = await openAuthenticated(node, target, protocol, party);
  return await exchangeOn(
    stream,
    protocol,
    body,
    limits,
    AbortSignal.timeout(timeoutMs),
    timeoutMs,
  );
}
