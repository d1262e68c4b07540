/**
 * The log's memory cache: bounded in bytes but never empty, indexed by log
 * index, trimmed by eviction, and seeking only when nothing uncached can
 * come first.
 *
 * @module
 */
import assert from "node:assert/strict";
import { EntryCache } from "../../../agent/logs/entry_cache.ts";

function entry(index: number, timestampNs: bigint, bytes: number) {
  return {
    index,
    timestampNs,
    payload: new Uint8Array(bytes),
    segmentStartNs: 0n,
    offset: 16 + index * 100,
  };
}

Deno.test("EntryCache: keeps the newest entries within its budget, at least one", () => {
  const cache = new EntryCache(25);
  cache.remember(entry(0, 10n, 10));
  cache.remember(entry(1, 20n, 10));
  cache.remember(entry(2, 30n, 10));
  assert.equal(cache.get(0), undefined);
  assert.equal(cache.get(1)?.timestampNs, 20n);
  assert.equal(cache.get(2)?.timestampNs, 30n);
  assert.equal(cache.get(3), undefined);
  cache.remember(entry(3, 40n, 100));
  assert.equal(cache.get(2), undefined);
  assert.equal(cache.get(3)?.payload.byteLength, 100);
});

Deno.test("EntryCache: eviction drops entries before the first retained index", () => {
  const cache = new EntryCache(1000);
  for (let i = 0; i < 4; i++) cache.remember(entry(i, BigInt(i * 10), 8));
  cache.dropBefore(2);
  assert.equal(cache.get(1), undefined);
  assert.equal(cache.get(2)?.index, 2);
});

Deno.test("EntryCache: seeks only when an older entry is cached too", () => {
  const cache = new EntryCache(1000);
  for (let i = 0; i < 3; i++) cache.remember(entry(i, BigInt(i * 10), 8));
  assert.equal(cache.seek(15n)?.index, 2);
  assert.equal(cache.seek(20n)?.index, 2);
  // At or before the oldest cached entry, older ones may be on disk only.
  assert.equal(cache.seek(0n), undefined);
  assert.equal(cache.seek(21n), undefined);
});
