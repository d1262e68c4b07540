/**
 * Joins you control (beyond generation A, which admits any joiner): with
 * `cluster.allow_peers` the Manager admits only the listed peer ids, and a
 * member enforcing the same list drops membership gossip that admits anyone
 * else. Without a list nothing changes.
 *
 * @module
 */
import type { ClusterMembership } from "./membership.ts";
import { truncated } from "../../core/log_text.ts";

/** Why the Manager refuses `peer`'s join, or `undefined` when it is admitted. */
export function joinRefusal(
  allow: ReadonlySet<string> | undefined,
  peer: string,
): string | undefined {
  if (allow === undefined || allow.has(peer)) return undefined;
  return `${peer} is not in the cluster's allow_peers`;
}

/**
 * Why a membership update is dropped because it admits peers outside
 * `allow` (this peer itself always counts as allowed), or `undefined`.
 */
export function gossipRefusal(
  allow: ReadonlySet<string> | undefined,
  membership: ClusterMembership,
  self: string,
): string | undefined {
  if (allow === undefined) return undefined;
  const unknown = membership.peers
    .map((p) => p.peer_id)
    .filter((id) => id !== self && !allow.has(id));
  if (unknown.length === 0) return undefined;
  return `it admits ${unknown.length} peers outside this peer's allow_peers: ${
    truncated(unknown.join(", "))
  }`;
}
