/**
 * ClusterMembership (spec cluster.md section 2): the JSON shape and field
 * order, i64 join timestamps beyond 2^53 kept exact, canonical peer ids and
 * multiaddrs, and the election order (earliest `join_ts_ns`, then the peer
 * id's multihash bytes) with `electSuccessor` skipping the lost Manager,
 * unconnected members and members nobody can dial.
 *
 * @module
 */
import assert from "node:assert/strict";
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import {
  type ClusterMember,
  type ClusterMembership,
  electionOrder,
  electSuccessor,
  isMember,
  membershipJson,
  parseMembership,
} from "../../../agent/cluster/membership.ts";

/** An Ed25519 peer id whose key starts with `first` (multihash `00 24 08 01 12 20 <key>`). */
function ed25519Id(first: number, second = 0): string {
  const key = new Uint8Array(32);
  key[0] = first;
  key[1] = second;
  return peerIdFromPublicKey(publicKeyFromRaw(key)).toString();
}

/** A secp256k1 peer id: identity multihash `00 25 08 02 ...`, after every Ed25519 id. */
const SECP = "16Uiu2HAm8zS2JYLrZWbtzLqAC4SgfZjPwSVx91eLYUiRAPQZFeMn";
/** An RSA peer id: a sha2-256 multihash `12 20 ...`, after every identity multihash. */
const RSA = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";

const A = ed25519Id(0x00);
const B = ed25519Id(0x7f);
const C = ed25519Id(0x80);
const TS = 1_733_836_800_000_000_000n;

function member(peer_id: string, join_ts_ns: bigint): ClusterMember {
  return { peer_id, multiaddrs: [], join_ts_ns, successor_token: [] };
}

/** A member others can dial: only those can win an election. */
function dialable(peer_id: string, join_ts_ns: bigint): ClusterMember {
  return {
    ...member(peer_id, join_ts_ns),
    multiaddrs: ["/ip4/10.0.0.1/tcp/1"],
  };
}

function membership(...peers: ClusterMember[]): ClusterMembership {
  return { cluster_name: "lab", peers };
}

Deno.test("membership JSON: Rust field order, successor_token [] when absent", () => {
  const json = membershipJson({
    cluster_name: "lab",
    peers: [
      {
        peer_id: A,
        multiaddrs: ["/ip4/192.168.1.10/tcp/4001"],
        join_ts_ns: TS,
      },
      member(B, TS + 1n),
    ],
  });
  assert.equal(
    json,
    `{"cluster_name":"lab","peers":[` +
      `{"peer_id":"${A}","multiaddrs":["/ip4/192.168.1.10/tcp/4001"],"join_ts_ns":1733836800000000000,"successor_token":[]},` +
      `{"peer_id":"${B}","multiaddrs":[],"join_ts_ns":1733836800000000001,"successor_token":[]}]}`,
  );
});

Deno.test("membership JSON: join_ts_ns above 2^53 parses and writes back exactly", () => {
  const text = `{"cluster_name":"lab","peers":[` +
    `{"peer_id":"${A}","multiaddrs":[],"join_ts_ns":9007199254740993},` +
    `{"peer_id":"${B}","multiaddrs":[],"join_ts_ns":1733836800000000001,"successor_token":[1,2,255]}]}`;
  const parsed = parseMembership(text);
  assert.equal(parsed.peers[0].join_ts_ns, 9_007_199_254_740_993n);
  assert.equal(parsed.peers[1].join_ts_ns, 1_733_836_800_000_000_001n);
  assert.equal(parsed.peers[0].successor_token, undefined);
  assert.deepEqual(parsed.peers[1].successor_token, [1, 2, 255]);
  const again = parseMembership(membershipJson(parsed));
  assert.equal(again.peers[0].join_ts_ns, 9_007_199_254_740_993n);
  assert.equal(again.peers[1].join_ts_ns, 1_733_836_800_000_000_001n);
  assert.match(membershipJson(parsed), /"join_ts_ns":9007199254740993,/);
});

Deno.test("membership JSON: small and negative timestamps are bigints too", () => {
  const parsed = parseMembership(
    `{"cluster_name":"x","peers":[{"peer_id":"${A}","multiaddrs":[],"join_ts_ns":-5},` +
      `{"peer_id":"${B}","multiaddrs":[],"join_ts_ns":42}]}`,
  );
  assert.equal(parsed.peers[0].join_ts_ns, -5n);
  assert.equal(parsed.peers[1].join_ts_ns, 42n);
});

Deno.test("membership JSON: members keep admission order and unknown keys are ignored", () => {
  const parsed = parseMembership(
    `{"peers":[{"join_ts_ns":3,"multiaddrs":[],"peer_id":"${C}","extra":true},` +
      `{"peer_id":"${A}","multiaddrs":[],"join_ts_ns":1}],"cluster_name":"lab","v":2}`,
  );
  assert.deepEqual(parsed.peers.map((p) => p.peer_id), [C, A]);
  assert.equal(parsed.cluster_name, "lab");
});

Deno.test("membership JSON: multiaddrs are read into canonical text", () => {
  const parsed = parseMembership(
    `{"cluster_name":"lab","peers":[{"peer_id":"${A}","multiaddrs":["/ip6/0:0:0:0:0:0:0:1/tcp/4001","/ip4/10.0.0.1/tcp/1/"],"join_ts_ns":1}]}`,
  );
  assert.deepEqual(parsed.peers[0].multiaddrs, [
    "/ip6/::1/tcp/4001",
    "/ip4/10.0.0.1/tcp/1",
  ]);
});

Deno.test("membership JSON: malformed documents throw", () => {
  const peer = (fields: string) =>
    `{"cluster_name":"lab","peers":[{${fields}}]}`;
  const bad = [
    "",
    "[]",
    "{}",
    `{"cluster_name":"lab"}`,
    `{"cluster_name":1,"peers":[]}`,
    peer(`"peer_id":"not-a-peer","multiaddrs":[],"join_ts_ns":1`),
    peer(`"peer_id":"${A}","multiaddrs":["not a multiaddr"],"join_ts_ns":1`),
    peer(`"peer_id":"${A}","multiaddrs":[],"join_ts_ns":1.5`),
    peer(`"peer_id":"${A}","multiaddrs":[],"join_ts_ns":"1"`),
    peer(`"peer_id":"${A}","multiaddrs":[],"join_ts_ns":9223372036854775808`),
    peer(`"peer_id":"${A}","multiaddrs":[]`),
    peer(
      `"peer_id":"${A}","multiaddrs":[],"join_ts_ns":1,"successor_token":[256]`,
    ),
  ];
  for (const text of bad) {
    assert.throws(() => parseMembership(text), `accepted ${text}`);
  }
});

Deno.test("isMember: by peer id", () => {
  const m = membership(member(A, 1n), member(B, 2n));
  assert.ok(isMember(m, A));
  assert.ok(isMember(m, B));
  assert.ok(!isMember(m, C));
});

Deno.test("election order: earliest join_ts_ns first, exact above 2^53", () => {
  // Differ by 1 ns beyond 2^53: a Number comparison would call them equal.
  const early = member(C, TS);
  const late = member(A, TS + 1n);
  assert.ok(electionOrder(early, late) < 0);
  assert.ok(electionOrder(late, early) > 0);
  assert.deepEqual(
    [late, early].sort(electionOrder).map((p) => p.peer_id),
    [C, A],
  );
});

Deno.test("election order: equal join_ts_ns falls back to multihash bytes", () => {
  const ids = [RSA, C, SECP, ed25519Id(0x7f, 1), A, B];
  const sorted = ids.map((id) => member(id, TS)).sort(electionOrder)
    .map((p) => p.peer_id);
  // Ed25519 ids by key bytes, then secp256k1 (00 25 > 00 24), then RSA (12 20).
  assert.deepEqual(sorted, [A, B, ed25519Id(0x7f, 1), C, SECP, RSA]);
  assert.equal(electionOrder(member(A, TS), member(A, TS)), 0);
});

Deno.test("election order: multihash bytes, not the text's locale order", () => {
  // Base58 'B' (value 10) sorts before 'a' (value 33), as their bytes do;
  // a case-insensitive locale compare would put "a..." first.
  const ids = Array.from({ length: 64 }, (_, i) => ed25519Id(i * 4, i));
  const byBytes = ids.map((id) => member(id, TS)).sort(electionOrder)
    .map((p) => p.peer_id);
  assert.deepEqual(byBytes, ids, "keys were built in ascending byte order");
  const byCodeUnits = [...ids].sort((x, y) => x < y ? -1 : x > y ? 1 : 0);
  assert.deepEqual(byBytes, byCodeUnits);
});

Deno.test("electSuccessor: the earliest member that is self or connected, never the lost", () => {
  const m = membership(
    dialable(A, TS + 30n), // the lost Manager, even though it is not earliest
    dialable(B, TS + 10n),
    dialable(C, TS + 20n),
    dialable(SECP, TS),
  );
  const connected = (set: string[]) => (peer: string) => set.includes(peer);
  // SECP is earliest but unconnected: B, connected, wins.
  assert.equal(electSuccessor(m, A, C, connected([B]))?.peer_id, B);
  // Nobody connected: self wins.
  assert.equal(electSuccessor(m, A, C, connected([]))?.peer_id, C);
  // The lost peer never wins, even when it is reported connected.
  assert.equal(electSuccessor(m, SECP, C, connected([SECP, B]))?.peer_id, B);
  // Self counts without a connection, by order.
  assert.equal(electSuccessor(m, A, B, connected([]))?.peer_id, B);
  assert.equal(electSuccessor(m, A, C, connected([SECP]))?.peer_id, SECP);
  // The input membership is not reordered.
  assert.deepEqual(m.peers.map((p) => p.peer_id), [A, B, C, SECP]);
});

Deno.test("electSuccessor: the tie-break between equal timestamps is the multihash", () => {
  const m = membership(dialable(C, TS), dialable(B, TS), dialable(A, TS - 1n));
  assert.equal(electSuccessor(m, A, C, () => true)?.peer_id, B);
});

Deno.test("electSuccessor: members without addresses never win", () => {
  // A is a short-lived CLI member: earliest after the lost Manager, connected.
  const m = membership(
    dialable(SECP, TS),
    member(A, TS + 1n),
    dialable(B, TS + 2n),
    dialable(C, TS + 3n),
  );
  assert.equal(electSuccessor(m, SECP, C, () => true)?.peer_id, B);
  // Not even when it is the one electing and nobody else is connected.
  assert.equal(electSuccessor(m, SECP, A, () => false), undefined);
  assert.equal(electSuccessor(m, SECP, C, () => false)?.peer_id, C);
});

Deno.test("electSuccessor: nobody when only the lost member remains", () => {
  const m = membership(dialable(A, TS));
  assert.equal(electSuccessor(m, A, B, () => true), undefined);
});
