/**
 * The DDS verification key ring (spec genb.md 2.5): rotation with the
 * previous key kept, monotonic generations, byte-identical generations,
 * key ids, and refusal to verify after 60 minutes without a refresh.
 */
import assert from "node:assert/strict";
import {
  KeyRing,
  KeyRingError,
  KEYS_STALE_AFTER_MS,
} from "../../../agent/genb/key_ring.ts";
import {
  keyDocument,
  newSigningKey,
} from "../../../scripts/harness/genb_tokens.ts";

const T0 = 1_800_000_000_000;

function refusedWith(reason: string) {
  return (error: KeyRingError) => {
    assert.ok(error instanceof KeyRingError, String(error));
    assert.equal(error.reason, reason, error.message);
    return true;
  };
}

Deno.test("key ring: rotation keeps the previous key; dropping it early is refused", async () => {
  const [a, b, c] = await Promise.all([
    newSigningKey(),
    newSigningKey(),
    newSigningKey(),
  ]);
  const ring = new KeyRing();
  await ring.install(await keyDocument(1, a.pem), T0);
  assert.equal(ring.keys(T0).length, 1);
  await ring.install(await keyDocument(2, b.pem, a.pem), T0 + 1000);
  assert.equal(ring.generation, 2);
  assert.equal(ring.keys(T0 + 1000).length, 2);
  await assert.rejects(
    ring.install(await keyDocument(3, c.pem), T0 + 2000),
    refusedWith("rotation"),
  );
  assert.equal(ring.generation, 2);
  // After missing rotations for over an hour, a new set is taken as it is.
  await ring.install(await keyDocument(4, c.pem), T0 + 2 * KEYS_STALE_AFTER_MS);
  assert.equal(ring.generation, 4);
});

Deno.test("key ring: generations are monotonic and byte-identical", async () => {
  const [a, b] = await Promise.all([newSigningKey(), newSigningKey()]);
  const ring = new KeyRing();
  const doc = await keyDocument(5, a.pem);
  await ring.install(doc, T0);
  await ring.install(doc, T0 + 10);
  assert.equal(ring.refreshedAt, T0 + 10);
  await assert.rejects(
    ring.install(await keyDocument(5, b.pem, a.pem), T0 + 20),
    refusedWith("generation"),
  );
  await assert.rejects(
    ring.install(await keyDocument(4, a.pem), T0 + 20),
    refusedWith("generation"),
  );
});

Deno.test("key ring: malformed documents and wrong key ids are refused", async () => {
  const a = await newSigningKey();
  const ring = new KeyRing();
  await assert.rejects(ring.install("garbage", T0), refusedWith("malformed"));
  const doc = JSON.parse(await keyDocument(1, a.pem));
  doc.keys[0].id = "0".repeat(64);
  await assert.rejects(
    ring.install(JSON.stringify(doc), T0),
    refusedWith("key_id"),
  );
  const short = JSON.parse(await keyDocument(1, a.pem));
  short.previous_key_overlap_seconds = 60;
  await assert.rejects(
    ring.install(JSON.stringify(short), T0),
    refusedWith("malformed"),
  );
});

Deno.test("key ring: refuses to verify when not refreshed for over 60 minutes", async () => {
  const a = await newSigningKey();
  const ring = new KeyRing();
  assert.throws(() => ring.keys(T0), refusedWith("stale"));
  await ring.install(await keyDocument(1, a.pem), T0);
  assert.equal(ring.keys(T0 + KEYS_STALE_AFTER_MS).length, 1);
  assert.throws(
    () => ring.keys(T0 + KEYS_STALE_AFTER_MS + 1),
    refusedWith("stale"),
  );
  await ring.install(await keyDocument(1, a.pem), T0 + KEYS_STALE_AFTER_MS + 2);
  assert.equal(ring.keys(T0 + KEYS_STALE_AFTER_MS + 3).length, 1);
});
