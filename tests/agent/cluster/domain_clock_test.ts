/**
 * The domain clock (spec cluster.md 7.2): `<cluster>/domain-clock`, hashed
 * with XXH3-128 over the JCS declaration
 * `{"cluster_name","domain_clock_id","kind":"domain_clock","schema_version":1}`,
 * the same on every member whoever backs it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createXXHash128 } from "hash-wasm";
import {
  declareDomainClock,
  DomainClock,
  domainClockHash,
  domainClockId,
  domainClockJson,
} from "../../../agent/cluster/domain_clock.ts";

const PEER_A = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
const PEER_B = "12D3KooWESKUn3Fh3xTMq1KzoxbQQ6PypHodP1JAb4p7qkxJxJ7n";

async function xxh3_128(text: string): Promise<string> {
  const hasher = await createXXHash128();
  hasher.init();
  hasher.update(new TextEncoder().encode(text));
  return hasher.digest("hex");
}

Deno.test("domain clock: id is <cluster>/domain-clock", () => {
  assert.equal(domainClockId("lab"), "lab/domain-clock");
  assert.equal(domainClockId("Lab_2-x"), "Lab_2-x/domain-clock");
});

Deno.test("domain clock: the declaration is JCS, keys sorted, schema_version 1", () => {
  assert.equal(
    domainClockJson("lab"),
    `{"cluster_name":"lab","domain_clock_id":"lab/domain-clock","kind":"domain_clock","schema_version":1}`,
  );
});

Deno.test("domain clock: hash is XXH3-128 of the declaration, lowercase hex", async () => {
  for (const name of ["lab", "warehouse-7", "x".repeat(64)]) {
    const expected = await xxh3_128(
      `{"cluster_name":"${name}","domain_clock_id":"${name}/domain-clock","kind":"domain_clock","schema_version":1}`,
    );
    assert.equal(domainClockHash(name), expected);
    assert.match(domainClockHash(name), /^[0-9a-f]{32}$/);
  }
  assert.notEqual(domainClockHash("lab"), domainClockHash("lab2"));
});

Deno.test("domain clock: every backing declares the same clock", () => {
  const a = declareDomainClock("lab", {
    peerId: PEER_A,
    clockId: `${PEER_A}/s1/monotonic`,
    clockHash: "aa".repeat(16),
  }, 0n);
  const b = declareDomainClock("lab", {
    peerId: PEER_B,
    clockId: `${PEER_B}/s2/monotonic`,
    clockHash: "bb".repeat(16),
  }, -1_733_836_800_000_000_001n);
  assert.equal(a.domain_clock_id, b.domain_clock_id);
  assert.equal(a.domain_clock_hash, b.domain_clock_hash);
  assert.equal(a.domain_clock_hash, domainClockHash("lab"));
  assert.deepEqual(Object.keys(b), [
    "cluster_name",
    "domain_clock_id",
    "domain_clock_hash",
    "backing_peer_id",
    "backing_clock_id",
    "backing_clock_hash",
    "backing_to_domain_offset_ns",
  ]);
  assert.deepEqual(b, {
    cluster_name: "lab",
    domain_clock_id: "lab/domain-clock",
    domain_clock_hash: domainClockHash("lab"),
    backing_peer_id: PEER_B,
    backing_clock_id: `${PEER_B}/s2/monotonic`,
    backing_clock_hash: "bb".repeat(16),
    backing_to_domain_offset_ns: -1_733_836_800_000_000_001n,
  });
});

Deno.test("domain clock: the wire schema reads the offset as an exact i64", () => {
  const parsed = DomainClock.parse({
    cluster_name: "lab",
    domain_clock_id: "lab/domain-clock",
    domain_clock_hash: domainClockHash("lab"),
    backing_peer_id: PEER_A,
    backing_clock_id: "c",
    backing_clock_hash: "h",
    backing_to_domain_offset_ns: 9_007_199_254_740_993n,
  });
  assert.equal(parsed.backing_to_domain_offset_ns, 9_007_199_254_740_993n);
  assert.equal(
    DomainClock.parse({ ...parsed, backing_to_domain_offset_ns: -3 })
      .backing_to_domain_offset_ns,
    -3n,
  );
  assert.throws(() =>
    DomainClock.parse({ ...parsed, backing_to_domain_offset_ns: 0.5 })
  );
  assert.throws(() => DomainClock.parse({ ...parsed, backing_peer_id: 1 }));
});
