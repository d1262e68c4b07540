/**
 * Wallet seed to libp2p identity vectors (spec cluster.md 6.1, wire.md 14.2):
 * `Wallet::from_seed([3u8; 32])` derives `derive_child("peer/v1")`.
 */
import assert from "node:assert/strict";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import {
  deriveChildSeed,
  PEER_DERIVATION_LABEL,
  peerIdFromSeed,
  peerKeyFromSeed,
} from "../../agent/identity/wallet.ts";
import { fromSpacedHex, toHex } from "../helpers/hex.ts";

const SEED_3 = new Uint8Array(32).fill(3);

Deno.test('identity: derive_child("peer/v1") of [3u8; 32]', () => {
  assert.equal(PEER_DERIVATION_LABEL, "peer/v1");
  const child = deriveChildSeed(SEED_3, "peer/v1");
  assert.equal(child.byteLength, 32);
  assert.equal(
    toHex(child),
    "824feddf55eea9ac91546ee075c3ee28da8c3cba4c7622a7dbdf0cad38960edc",
  );
});

Deno.test("identity: derived child public key of [3u8; 32]", async () => {
  const key = await peerKeyFromSeed(SEED_3);
  assert.equal(
    toHex(key.publicKey.raw),
    toHex(fromSpacedHex(
      "10 80 63 3b cb 57 ba c0 66 cf 84 46 e2 b7 ae 71 15 71 cb 04 be 0b 46 bd af 03 14 63 17 bf e7 07",
    )),
  );
});

Deno.test("identity: peer id of wallet seed [3u8; 32]", async () => {
  const peerId = await peerIdFromSeed(SEED_3);
  assert.equal(
    peerId.toString(),
    "12D3KooWAvnEo4RaYZtqt2w83qzmQ7WVW2HhN2cay95EXAiVKcar",
  );
});

Deno.test("identity: PeerIdentity::from_seed([7u8; 32]) skips derivation", async () => {
  // wire.md 14.2 (computed): the plain, underived key of the same libp2p path.
  const key = await generateKeyPairFromSeed(
    "Ed25519",
    new Uint8Array(32).fill(7),
  );
  assert.equal(
    peerIdFromPrivateKey(key).toString(),
    "12D3KooWRawPbxPtP1eZaJpumGnyWX2DcUyd3RQnydr3eAto4Az7",
  );
});

Deno.test("identity: a seed that is not 32 bytes is rejected", () => {
  assert.throws(
    () => deriveChildSeed(new Uint8Array(31), "peer/v1"),
    RangeError,
  );
});
