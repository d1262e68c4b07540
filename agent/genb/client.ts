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
import { jsonBytes, parseJsonBytes } from "../../core/codec/json.ts";
import {
  type ResourceEntry,
  ResourcesResponse,
  type Variant,
} from "../catalog/resource_entry.ts";
import { RESOURCES_LIMITS } from "../protocols/resources.ts";
import { authenticateStream } from "./handshake.ts";
import { AUTH_RESOURCES_V2 } from "./ids.ts";
import { isMultiaddr } from "@multiformats/multiaddr";
import type { Authority } from "./authority.ts";
import { admitThroughRelay } from "./relay_admission.ts";

/**
 * Opens `protocol` to `target` and authenticates the stream; when `expected`
 * is given, the dialed peer must be that peer id.
 */
export async function openAuthenticated(
  node: Libp2p,
  target: Target,
  protocol: string,
  party: Authority,
  options: { signal?: AbortSignal; expected?: string } = {},
): Promise<Stream> {
  if (!Array.isArray(target) && isMultiaddr(target)) {
    await admitThroughRelay(node, target, party);
  }
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
  party: Authority,
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

/** Fetches a gen-B peer's catalog rows over `/auki/auth/1/resources/0.2.0`. */
export async function requestAuthResources(
  node: Libp2p,
  target: Target,
  party: Authority,
  variants?: readonly Variant[],
): Promise<ResourceEntry[]> {
  const body = variants === undefined || variants.length === 0
    ? {}
    : { variants };
  const response = await authRequest(
    node,
    target,
    AUTH_RESOURCES_V2,
    jsonBytes(body),
    RESOURCES_LIMITS,
    party,
  );
  return ResourcesResponse.parse(parseJsonBytes(response)).resources;
}
