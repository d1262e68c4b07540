/**
 * ClusterMembership: the Manager's member list, pushed whole in join replies
 * and gossip (spec cluster.md section 2), and the election order over it.
 *
 * @module
 */
import { peerIdFromString } from "@libp2p/peer-id";
import { z } from "zod";
import { parseJson, stringifyJson } from "../../core/codec/json.ts";
import { I64, MultiaddrText, PeerIdText } from "./discovery_types.ts";

/** One member: its peer id, dialable addresses and admission time. */
export const ClusterMember = z.object({
  peer_id: PeerIdText,
  multiaddrs: z.array(MultiaddrText),
  join_ts_ns: I64,
  successor_token: z.array(z.number().int().min(0).max(255)).optional(),
});
/** One member of a cluster. */
export type ClusterMember = z.output<typeof ClusterMember>;

/** A cluster's membership, members in admission order. */
export const ClusterMembership = z.object({
  cluster_name: z.string(),
  peers: z.array(ClusterMember),
});
/** A cluster's membership. */
export type ClusterMembership = z.output<typeof ClusterMembership>;

/** Parses membership JSON (as carried in `membership_json`); throws on anything malformed. */
export function parseMembership(json: string): ClusterMembership {
  return ClusterMembership.parse(parseJson(json));
}

/** Writes membership JSON in the Rust struct's field order; `successor_token` is `[]` as the SDK writes it. */
export function membershipJson(membership: ClusterMembership): string {
  return stringifyJson({
    cluster_name: membership.cluster_name,
    peers: membership.peers.map((p) => ({
      peer_id: p.peer_id,
      multiaddrs: p.multiaddrs,
      join_ts_ns: p.join_ts_ns,
      successor_token: p.successor_token ?? [],
    })),
  });
}

/** Whether `peerId` is in the membership. */
export function isMember(
  membership: ClusterMembership,
  peerId: string,
): boolean {
  return membership.peers.some((p) => p.peer_id === peerId);
}

/**
 * Compares members in election order: earliest `join_ts_ns`, then the peer
 * id's multihash bytes (Rust `PeerId`'s `Ord`).
 */
export function electionOrder(a: ClusterMember, b: ClusterMember): number {
  if (a.join_ts_ns !== b.join_ts_ns) {
    return a.join_ts_ns < b.join_ts_ns ? -1 : 1;
  }
  const x = peerIdFromString(a.peer_id).toMultihash().bytes;
  const y = peerIdFromString(b.peer_id).toMultihash().bytes;
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/**
 * The election winner after the Manager `lost` is gone, as Rust's
 * `elect_successor`: the first member in election order that is this peer
 * or currently connected. One deliberate difference (docs/decisions.md 46):
 * a member without addresses (a short-lived CLI member; Rust daemons always
 * have some) never wins, since Discovery would name a Manager nobody can dial.
 */
export function electSuccessor(
  membership: ClusterMembership,
  lost: string,
  self: string,
  connected: (peerId: string) => boolean,
): ClusterMember | undefined {
  return membership.peers
    .filter((p) => p.peer_id !== lost && p.multiaddrs.length > 0)
    .sort(electionOrder)
    .find((p) => p.peer_id === self || connected(p.peer_id));
}
