/**
 * Generation-A protocol ids (spec README decision 1).
 *
 * @module
 */

/** Cluster admission; the only protocol a non-member may open. */
export const JOIN = "/auki/join/0.0.1";
/** A member tells the Manager it leaves (spec wire.md 9.2). */
export const LEAVE = "/auki/leave/0.0.1";
/** Manager to member membership gossip. */
export const MEMBERSHIP = "/auki/membership/0.0.1";
/** Manager to member heartbeats. */
export const HEARTBEAT = "/auki/heartbeat/0.0.1";
/** ParticipantInfo request and response. */
export const INFO = "/auki/info/0.0.1";
/** The resource catalog. */
export const RESOURCES = "/auki/resources/0.2.0";
/** Registry entry lookups. */
export const REGISTRIES = "/auki/registries/0.2.0";
/** Typed log streams. */
export const STREAM = "/auki/stream/0.2.0";

/**
 * Stream options every Auki protocol handler and dial uses: the protocols
 * also run over relayed (limited) connections, as they do on Rust peers.
 */
export const OVER_RELAYS = { runOnLimitedConnection: true } as const;
