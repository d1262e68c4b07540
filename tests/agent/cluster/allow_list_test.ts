/**
 * The allow-list decisions: without a list every joiner and every gossip is
 * taken (generation A); with one, other joiners are refused with a reason
 * and gossip admitting unlisted peers is refused naming them.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  gossipRefusal,
  joinRefusal,
} from "../../../agent/cluster/allow_list.ts";
import type { ClusterMembership } from "../../../agent/cluster/membership.ts";

const A = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
const B = "12D3KooWH8R2rfQYjYkpFEW7ao1J4QPDKLcoA6ofnDVAcfrYS94f";
const C = "12D3KooWESKUn3Fh3xTMq1KzoxbQQ6PypHodP1JAb4p7qkxJxJ7n";

function membership(...ids: string[]): ClusterMembership {
  return {
    cluster_name: "c",
    peers: ids.map((peer_id) => ({
      peer_id,
      multiaddrs: [],
      join_ts_ns: 1n,
      successor_token: [],
    })),
  } as ClusterMembership;
}

Deno.test("joinRefusal: open without a list, listed peers only with one", () => {
  assert.equal(joinRefusal(undefined, C), undefined);
  assert.equal(joinRefusal(new Set([A, B]), B), undefined);
  assert.equal(
    joinRefusal(new Set([A, B]), C),
    `${C} is not in the cluster's allow_peers`,
  );
});

Deno.test("gossipRefusal: unlisted peers are named, this peer always counts as allowed", () => {
  assert.equal(gossipRefusal(undefined, membership(A, B, C), B), undefined);
  assert.equal(gossipRefusal(new Set([A]), membership(A, B), B), undefined);
  assert.equal(
    gossipRefusal(new Set([A, B]), membership(A, B, C), B),
    `it admits 1 peers outside this peer's allow_peers: ${C}`,
  );
});
