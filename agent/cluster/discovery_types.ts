/**
 * Wire shapes of the generation-A Discovery `/clusters` API (spec cluster.md
 * 1.2): ClusterEntry, the request bodies and the error body. Peer ids and
 * multiaddrs are checked and written in canonical text, as the Rust client
 * parses them at the boundary (`parse_wire_entry`).
 *
 * @module
 */
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";

/** Cluster names Discovery accepts. */
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `name` is a cluster name Discovery accepts. */
export function isClusterName(name: string): boolean {
  return CLUSTER_NAME_PATTERN.test(name);
}

/** Canonical text of a libp2p peer id; throws on anything else. */
export function canonicalPeerId(text: string): string {
  return peerIdFromString(text).toString();
}

/** Canonical text of a multiaddr; throws on anything else. */
export function canonicalMultiaddr(text: string): string {
  return multiaddr(text).toString();
}

function canonical(kind: string, parse: (text: string) => string) {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: `not a ${kind}: "${text}"` });
      return z.NEVER;
    }
  });
}

/** A peer id in text, read into canonical form. */
export const PeerIdText = canonical("peer id", canonicalPeerId);
/** A multiaddr in text, read into canonical form. */
export const MultiaddrText = canonical("multiaddr", canonicalMultiaddr);

/** A JSON u32. */
const U32 = z.number().int().min(0).max(0xffff_ffff);

/** A JSON i64 (number or bigint in, bigint out): unix nanoseconds exceed 2^53. */
export const I64 = z.union([z.bigint(), z.number().int()])
  .transform((v) => BigInt(v))
  .pipe(z.bigint().min(-(2n ** 63n)).max(2n ** 63n - 1n));

/** One cluster's row in Discovery; `relay_multiaddrs` defaults to [] for legacy rows. */
export const ClusterEntry = z.object({
  name: z.string(),
  manager_peer_id: PeerIdText,
  manager_multiaddrs: z.array(MultiaddrText),
  relay_multiaddrs: z.array(MultiaddrText).default([]),
  peer_count: U32,
  created_ns: I64,
  last_liveness_check_ns: I64,
});
/** One cluster's row in Discovery. */
export type ClusterEntry = z.output<typeof ClusterEntry>;

/** Body of `GET /clusters`, newest `created_ns` first. */
export const ListResponse = z.object({ clusters: z.array(ClusterEntry) });
/** Body of `GET /clusters`. */
export type ListResponse = z.output<typeof ListResponse>;

/**
 * Body of `POST /clusters/{name}` (create) and `POST /clusters/{name}/manager`
 * (rotate); `relay_multiaddrs` is omitted on the wire when empty.
 */
export const ManagerRequest = z.object({
  manager_peer_id: PeerIdText,
  manager_multiaddrs: z.array(MultiaddrText),
  relay_multiaddrs: z.array(MultiaddrText).optional(),
});
/** Body of create and rotate. */
export type ManagerRequest = z.output<typeof ManagerRequest>;

/** Body of `POST /clusters/{name}/liveness`: exactly `{"peer_count": u32}`. */
export const LivenessRequest = z.object({ peer_count: U32 });
/** Body of a liveness check. */
export type LivenessRequest = z.output<typeof LivenessRequest>;

/** Discovery's error body. */
export const ErrorBody = z.object({ error: z.string() });
/** Discovery's error body. */
export type ErrorBody = z.output<typeof ErrorBody>;

/** What a create returns: 201 with the row, or 409 when the name is taken. */
export type CreateClusterOutcome =
  | { outcome: "created"; entry: ClusterEntry }
  | { outcome: "already_exists" };

/** Renders zod issues as one line: `path: message; ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`)
    .join("; ");
}
