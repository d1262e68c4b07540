import assert from "node:assert/strict";
import {
  deriveChildSeed,
  PEER_DERIVATION_LABEL,
  peerIdFromSeed,
  peerKeyFromSeed,
  SEED_BYTES,
} from "../../../agent/identity/wallet.ts";
import { xxh3Bytes } from "../../../core/codec/hash.ts";
import { toHex } from "../../helpers/hex.ts";

// Locked vector (spec cluster.md 6.1): seed [3; 32].
const SEED = new Uint8Array(32).fill(3);
const CHILD =
  "824feddf55eea9ac91546ee075c3ee28da8c3cba4c7622a7dbdf0cad38960edc";
const PEER_ID = "12D3KooWAvnEo4RaYZtqt2w83qzmQ7WVW2HhN2cay95EXAiVKcar";

Deno.test("wallet constants", () => {
  assert.equal(SEED_BYTES, 32);
  assert.equal(PEER_DERIVATION_LABEL, "peer/v1");
});

Deno.test("deriveChildSeed: locked vector for seed [3; 32] and peer/v1", () => {
  const child = deriveChildSeed(SEED, "peer/v1");
  assert.equal(child.byteLength, 32);
  assert.equal(toHex(child), CHILD);
  // The seed is not modified.
  assert.deepEqual(SEED, new Uint8Array(32).fill(3));
});

Deno.test("deriveChildSeed: XXH3-128(seed || label) || XXH3-128(seed || label || /expand)", () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const label = "sensor/v2";
  const buf = new Uint8Array([...seed, ...new TextEncoder().encode(label)]);
  const expand = new Uint8Array([
    ...buf,
    ...new TextEncoder().encode("/expand"),
  ]);
  assert.deepEqual(
    deriveChildSeed(seed, label),
    new Uint8Array([...xxh3Bytes(buf), ...xxh3Bytes(expand)]),
  );
  assert.notEqual(
    toHex(deriveChildSeed(seed, "a")),
    toHex(deriveChildSeed(seed, "b")),
  );
});

Deno.test("peer identity: locked peer id for seed [3; 32]", async () => {
  const peerId = await peerIdFromSeed(SEED);
  assert.equal(peerId.toString(), PEER_ID);
  assert.equal(peerId.type, "Ed25519");
  const key = await peerKeyFromSeed(SEED);
  assert.equal(key.type, "Ed25519");
  // Deterministic.
  assert.equal((await peerIdFromSeed(SEED.slice())).toString(), PEER_ID);
  // Another seed, another peer.
  const other = new Uint8Array(32).fill(4);
  assert.notEqual((await peerIdFromSeed(other)).toString(), PEER_ID);
});

Deno.test("wrong seed lengths throw", async () => {
  for (const length of [0, 16, 31, 33, 64]) {
    assert.throws(
      () => deriveChildSeed(new Uint8Array(length), "peer/v1"),
      (e) => e instanceof RangeError && e.message.includes(`${length}`),
      `${length}`,
    );
    await assert.rejects(peerIdFromSeed(new Uint8Array(length)), RangeError);
    await assert.rejects(peerKeyFromSeed(new Uint8Array(length)), RangeError);
  }
});
