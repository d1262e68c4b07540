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

const HOP = "/libp2p/circuit/relay/0.2.0/hop";
/** A HopMessage { type: RESERVE }, length-prefixed. */
const RESERVE = new Uint8Array([2, 0x08, 0x00]);

/** HOP statuses a reservation is answered with. */
export const HOP_STATUS = {
  OK: 100,
  RESERVATION_REFUSED: 200,
  PERMISSION_DENIED: 202,
} as const;

/** A started node that listens nowhere, as a device behind NAT. */
export async function throwawayPeer(): Promise<Libp2p> {
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  await node.start();
  return node;
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 1;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * shift;
    shift *= 128;
    if (byte < 0x80) return [value, at];
  }
}

/** The `status` field (5) of a length-prefixed HopMessage. */
function statusOf(message: Uint8Array): number {
  let [length, at] = varint(message, 0);
  const end = at + length;
  while (at < end) {
    let key: number;
    [key, at] = varint(message, at);
    if ((key & 7) === 0) {
      let value: number;
      [value, at] = varint(message, at);
      if (key >> 3 === 5) return value;
    } else {
      [length, at] = varint(message, at);
      at += length;
    }
  }
  throw new Error("no status in the relay's answer");
}

/** Sends a RESERVE request from `peer` to `relay`; returns the status. */
export async function reserveOn(peer: Libp2p, relay: string): Promise<number> {
  const signal = AbortSignal.timeout(10_000);
  const stream = await peer.dialProtocol(multiaddr(relay), HOP, { signal });
  stream.send(RESERVE);
  let bytes = new Uint8Array(0);
  for await (const chunk of stream) {
    const more = chunk.subarray();
    const joined = new Uint8Array(bytes.length + more.length);
    joined.set(bytes);
    joined.set(more, bytes.length);
    bytes = joined;
    const [length, at] = varint(bytes, 0);
    if (at + length <= bytes.length) {
      await stream.close().catch(() => {});
      return statusOf(bytes);
    }
  }
  throw new Error("the relay ended the stream without an answer");
}
