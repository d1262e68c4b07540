/**
 * Wallet seed to libp2p identity: `derive_child("peer/v1")` (spec cluster.md
 * 6.1, README decision 7).
 *
 * @module
 */
import type { Ed25519PrivateKey, PeerId } from "@libp2p/interface";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { xxh3Bytes } from "../../core/codec/hash.ts";

/** Length of a wallet seed (an ed25519 secret seed) in bytes. */
export const SEED_BYTES = 32;

/** The derivation label of the libp2p peer key. */
export const PEER_DERIVATION_LABEL = "peer/v1";

const encoder = new TextEncoder();

/**
 * `Wallet::derive_child(label)`: with `buf = seed || label`, the child seed is
 * `XXH3-128(buf) || XXH3-128(buf || "/expand")`.
 */
export function deriveChildSeed(seed: Uint8Array, label: string): Uint8Array {
  if (seed.byteLength !== SEED_BYTES) {
    throw new RangeError(
      `a wallet seed is ${SEED_BYTES} bytes, got ${seed.byteLength}`,
    );
  }
  const buf = new Uint8Array([...seed, ...encoder.encode(label)]);
  const expand = new Uint8Array([...buf, ...encoder.encode("/expand")]);
  return new Uint8Array([...xxh3Bytes(buf), ...xxh3Bytes(expand)]);
}

/** The ed25519 peer key derived from a wallet seed. */
export async function peerKeyFromSeed(
  seed: Uint8Array,
): Promise<Ed25519PrivateKey> {
  return await generateKeyPairFromSeed(
    "Ed25519",
    deriveChildSeed(seed, PEER_DERIVATION_LABEL),
  );
}

/** The libp2p peer id of a wallet seed. */
export async function peerIdFromSeed(seed: Uint8Array): Promise<PeerId> {
  return peerIdFromPrivateKey(await peerKeyFromSeed(seed));
}
