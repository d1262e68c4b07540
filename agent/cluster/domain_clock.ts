/**
 * The cluster's domain clock (spec cluster.md 7.2): declared by the Manager
 * in its heartbeats as its session clock plus an offset, so every member can
 * estimate it from heartbeat echoes.
 *
 * @module
 */
import { z } from "zod";
import { canonicalJson } from "../../core/codec/json.ts";
import { xxh3Hex } from "../../core/codec/hash.ts";
import { I64 } from "./discovery_types.ts";

/** The domain clock declaration carried in the Manager's heartbeats. */
export const DomainClock = z.object({
  cluster_name: z.string(),
  domain_clock_id: z.string(),
  domain_clock_hash: z.string(),
  backing_peer_id: z.string(),
  backing_clock_id: z.string(),
  backing_clock_hash: z.string(),
  backing_to_domain_offset_ns: I64,
});
/** The domain clock declaration carried in the Manager's heartbeats. */
export type DomainClock = z.output<typeof DomainClock>;

/** The id of a cluster's domain clock: `<cluster>/domain-clock`. */
export function domainClockId(clusterName: string): string {
  return `${clusterName}/domain-clock`;
}

/** The canonical JSON that names a cluster's domain clock. */
export function domainClockJson(clusterName: string): string {
  return canonicalJson({
    cluster_name: clusterName,
    domain_clock_id: domainClockId(clusterName),
    kind: "domain_clock",
    schema_version: 1,
  });
}

/** The XXH3-128 of {@link domainClockJson}: the same for every member. */
export function domainClockHash(clusterName: string): string {
  return xxh3Hex(domainClockJson(clusterName));
}

/** A declaration of a domain clock backed by a peer's session clock. */
export function declareDomainClock(
  clusterName: string,
  backing: { peerId: string; clockId: string; clockHash: string },
  backingToDomainOffsetNs: bigint,
): DomainClock {
  return {
    cluster_name: clusterName,
    domain_clock_id: domainClockId(clusterName),
    domain_clock_hash: domainClockHash(clusterName),
    backing_peer_id: backing.peerId,
    backing_clock_id: backing.clockId,
    backing_clock_hash: backing.clockHash,
    backing_to_domain_offset_ns: backingToDomainOffsetNs,
  };
}
