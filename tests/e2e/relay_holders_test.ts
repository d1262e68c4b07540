/**
 * End to end on loopback against a real `auki-edge relay` process: throwaway
 * peers that reserve and vanish free their slot within a second, so they
 * cannot lock NAT'd devices out until the reservation TTL; one IP holds at
 * most its per-IP limit, refused with a logged reason.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createNode } from "../../agent/node.ts";
import {
  freePort,
  poll,
  startRelay,
  TempDirs,
} from "../../scripts/harness/cluster.ts";

const HOP = "/libp2p/circuit/relay/0.2.0/hop";
/** A HopMessage { type: RESERVE }, length-prefixed. */
const RESERVE = new Uint8Array([2, 0x08, 0x00]);
const OK = 100;
const RESERVATION_REFUSED = 200;
const PERMISSION_DENIED = 202;

/** A started node that listens nowhere, as a device behind NAT. */
async function throwawayPeer(): Promise<Libp2p> {
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

/** Sends a RESERVE request from `peer` to `relay` and returns the status. */
async function reserve(peer: Libp2p, relay: string): Promise<number> {
  const signal = AbortSignal.timeout(5_000);
  const stream = await peer.dialProtocol(multiaddr(relay), HOP, { signal });
  stream.send(RESERVE);
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk.subarray());
    const bytes = new Uint8Array(chunks.flatMap((c) => [...c]));
    if (
      bytes.length > 0 &&
      varint(bytes, 0)[1] + varint(bytes, 0)[0] <= bytes.length
    ) {
      await stream.close().catch(() => {});
      return statusOf(bytes);
    }
  }
  throw new Error("the relay ended the stream without an answer");
}

Deno.test("relay: a vanished holder's slot is usable again within a second", async () => {
  const dirs = new TempDirs();
  const relay = await startRelay(await dirs.make(), {
    port: freePort(),
    args: ["--max-reservations", "2", "--max-reservations-per-ip", "8"],
  });
  const peers = [await throwawayPeer(), await throwawayPeer()];
  const late = await throwawayPeer();
  try {
    assert.equal(await reserve(peers[0], relay.address), OK);
    assert.equal(await reserve(peers[1], relay.address), OK);
    assert.equal(await reserve(late, relay.address), RESERVATION_REFUSED);
    await peers[0].stop();
    const stopped = performance.now();
    await poll("a freed slot", async () => {
      return await reserve(late, relay.address) === OK || undefined;
    }, 5_000);
    const freedMs = performance.now() - stopped;
    console.log(`freed slot reserved again after ${freedMs.toFixed(0)} ms`);
    assert.ok(freedMs < 1_000, `took ${freedMs} ms`);
    assert.match(relay.stderr(), /freed: its connection closed/);
  } finally {
    await Promise.all([...peers, late].map((p) => p.stop()));
    await relay.stop();
    await dirs.remove();
  }
});

Deno.test("relay: one IP holds at most its per-IP limit, refused with a reason", async () => {
  const dirs = new TempDirs();
  const relay = await startRelay(await dirs.make(), {
    port: freePort(),
    args: ["--max-reservations-per-ip", "2"],
  });
  const peers = await Promise.all([1, 2, 3].map(() => throwawayPeer()));
  try {
    assert.equal(await reserve(peers[0], relay.address), OK);
    assert.equal(await reserve(peers[1], relay.address), OK);
    assert.equal(await reserve(peers[2], relay.address), PERMISSION_DENIED);
    // A holder renews its own reservation whatever its IP holds.
    assert.equal(await reserve(peers[0], relay.address), OK);
    await poll(
      "the refusal in the relay's log",
      () =>
        /refused: 127\.0\.0\.1 holds 2 \(limit 2 per IP\)/.test(
          relay.stderr(),
        ) ||
        undefined,
    );
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    await relay.stop();
    await dirs.remove();
  }
});
