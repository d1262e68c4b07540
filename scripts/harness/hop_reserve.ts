/**
 * A raw Circuit Relay v2 reservation, as a throwaway peer makes it: one HOP
 * `RESERVE` message on a new substream to the relay, answered with a status
 * (for the relay tests and benchmarks).
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createNode } from "../../agent/node.ts";
import { hopReserve } from "../../agent/relay/hop_reserve.ts";

export { HOP_STATUS } from "../../agent/relay/hop_reserve.ts";

/** A started node that listens nowhere, as a device behind NAT. */
export async function throwawayPeer(): Promise<Libp2p> {
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  await node.start();
  return node;
}

/** Sends a RESERVE request from `peer` to `relay`; returns the status. */
export async function reserveOn(peer: Libp2p, relay: string): Promise<number> {
  const answer = await hopReserve(
    peer,
    multiaddr(relay),
    AbortSignal.timeout(10_000),
  );
  return answer.status;
}
