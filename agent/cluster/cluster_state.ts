/**
 * What this peer knows of its cluster: the settings and context it runs
 * with, the membership, who the Manager is, when members were last heard,
 * and the domain clock estimate. The other cluster modules read and change
 * it; this module holds no protocol logic.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { AgentClocks } from "../clocks/clocks.ts";
import type { Logger } from "../../core/logging.ts";
import { OffsetEstimator } from "./clock_estimate.ts";
import type { DiscoveryClient } from "./discovery_client.ts";
import type { ClusterEntry } from "./discovery_types.ts";
import { declareDomainClock, type DomainClock } from "./domain_clock.ts";
import { HEARTBEAT_TIMEOUT_MS } from "./heartbeat.ts";
import type { WireEncoding } from "../../core/codec/wire_encoding.ts";
import {
  type ClusterMembership,
  electionOrder,
  isMember,
} from "./membership.ts";

/** How an agent enters a cluster (the SDK's `ClusterTarget`). */
export type ClusterTarget =
  | "create"
  | "join"
  | "join_or_create"
  | "most_recent_or_create";

/** The cluster an agent belongs to and how it gets there. */
export interface ClusterSettings {
  /** Discovery client for the `/clusters` API. */
  discovery: DiscoveryClient;
  /** Cluster name (the fallback name for `most_recent_or_create`). */
  name: string;
  /** Bootstrap policy. */
  target: ClusterTarget;
  /**
   * Encoding of the join requests this peer sends; unset, protobuf first
   * and the other encoding when a Manager drops it (join_client.ts).
   */
  wireEncoding?: WireEncoding;
  /** `Authorization` value sent in join requests, if any. */
  authorization?: string;
  /**
   * Peer ids admitted to the cluster (`cluster.allow_peers`); unset admits
   * anyone, as generation A does.
   */
  allowPeers?: ReadonlySet<string>;
}

/** What the cluster needs from the agent. */
export interface ClusterContext {
  /** The libp2p node. */
  node: Libp2p;
  /** The session and UTC clocks. */
  clocks: AgentClocks;
  /** This peer's dialable multiaddrs, for Discovery and join requests. */
  advertised(): string[];
  /**
   * Resolves once the addresses are worth advertising (a relay reservation
   * is held, or waiting for one was given up); bootstrap waits for it.
   */
  reachable?(): Promise<void>;
  /** Where log lines go. */
  logger: Logger;
  /**
   * Called after every change of the membership, with the cluster's name;
   * `undefined` once this peer was evicted and is joining again.
   */
  onMembership?(
    cluster: string,
    membership: ClusterMembership | undefined,
  ): void;
}

/** The cluster's current state, for ParticipantInfo and the ready file. */
export interface ClusterStatus {
  /** The cluster's name. */
  name: string;
  /** Whether this peer is the Manager. */
  isManager: boolean;
  /** The Manager's peer id. */
  managerPeerId: string;
  /** Session clock reading when another member was first seen. */
  joinedAtNs: bigint | null;
}

/** This peer's view of its cluster, shared by the cluster modules. */
export class ClusterState {
  /** How this peer enters the cluster. */
  readonly settings: ClusterSettings;
  /** What the agent provides. */
  readonly context: ClusterContext;
  /** This peer's id. */
  readonly self: string;
  /** Where the cluster's log lines go. */
  readonly log: Logger;
  /** The cluster's name (the one joined or created). */
  name: string;
  /** The current membership, once joined. */
  membership: ClusterMembership | undefined;
  /** The Manager's peer id ("" before joining). */
  managerId = "";
  /** Whether this peer is the Manager. */
  isManager = false;
  /** The cluster's relays, from Discovery. */
  relays: string[] = [];
  /** Session clock reading when another member was first seen. */
  joinedAtNs: bigint | null = null;
  /** On the Manager: domain minus session clock, ns. */
  backingOffsetNs = 0n;
  /** Peers admitted before they are members (the Manager being joined). */
  readonly preAllowed: Set<string> = new Set();
  /** When each member was last heard from, ms since the epoch. */
  readonly lastSeen: Map<string, number> = new Map();
  /** The join encoding each Manager answered, by peer id. */
  readonly joinEncodings: Map<string, WireEncoding> = new Map();
  /** Members that closed their heartbeat stream themselves (left cleanly). */
  readonly departed: Set<string> = new Set();
  /** Managers this peer lost and elected a successor for. */
  readonly lost: Set<string> = new Set();
  /** The Manager's session clock against this peer's, from heartbeat echoes. */
  readonly managerClock: OffsetEstimator = new OffsetEstimator();
  /** The domain clock the Manager declares in its heartbeats. */
  managerDomainClock: DomainClock | undefined;
  /** Set once the cluster is left. */
  stopped = false;

  /** The state of a peer not yet in `settings.name`. */
  constructor(settings: ClusterSettings, context: ClusterContext) {
    this.settings = settings;
    this.context = context;
    this.self = context.node.peerId.toString();
    this.name = settings.name;
    this.log = context.logger.child("cluster");
  }

  /** The cluster's state now. */
  status(): ClusterStatus {
    return {
      name: this.name,
      isManager: this.isManager,
      managerPeerId: this.managerId,
      joinedAtNs: this.joinedAtNs,
    };
  }

  /**
   * Whether `peerId` may use the gated protocols: a member other than this
   * peer, or the Manager being joined.
   */
  admits(peerId: string): boolean {
    if (this.preAllowed.has(peerId)) return true;
    return peerId !== this.self && this.membership !== undefined &&
      isMember(this.membership, peerId);
  }

  /** Whether `peer` was heard from within the heartbeat timeout. */
  alive(peer: string): boolean {
    const seen = this.lastSeen.get(peer);
    return seen !== undefined && Date.now() - seen < HEARTBEAT_TIMEOUT_MS;
  }

  /** Whether the node holds a connection to `peer`. */
  connected(peer: string): boolean {
    return this.context.node.getConnections(peerIdFromString(peer)).length >
      0;
  }

  /** The Discovery-like entry of the cluster as this peer knows it, managed by `manager`. */
  entryOf(manager: string): ClusterEntry {
    return {
      name: this.name,
      manager_peer_id: manager,
      manager_multiaddrs:
        this.membership?.peers.find((p) => p.peer_id === manager)
          ?.multiaddrs ?? [],
      relay_multiaddrs: this.relays,
      peer_count: 0,
      created_ns: 0n,
      last_liveness_check_ns: 0n,
    };
  }

  /** Whether member `peer` comes before this peer in election order, by this peer's membership. */
  precedesSelf(peer: string): boolean {
    const peers = this.membership?.peers ?? [];
    const other = peers.find((p) => p.peer_id === peer);
    const self = peers.find((p) => p.peer_id === this.self);
    return other !== undefined && self !== undefined &&
      electionOrder(other, self) < 0;
  }

  /** Tells the agent the membership changed. */
  changed(): void {
    this.context.onMembership?.(this.name, this.membership);
  }

  /** Notes when another member is first seen (ParticipantInfo's `cluster_joined_at_ns`). */
  noteOtherMembers(): void {
    if (this.joinedAtNs === null && (this.membership?.peers.length ?? 0) > 1) {
      this.joinedAtNs = this.context.clocks.session.now();
    }
  }

  /**
   * This peer's domain clock offset (domain minus session clock), with its
   * uncertainty; `undefined` before any estimate exists.
   */
  domainOffset(): { offsetNs: bigint; uncertaintyNs: bigint } | undefined {
    if (this.isManager) {
      return { offsetNs: this.backingOffsetNs, uncertaintyNs: 0n };
    }
    const estimate = this.managerClock.estimate();
    const declared = this.managerDomainClock;
    if (estimate === undefined || declared === undefined) return undefined;
    return {
      offsetNs: estimate.offsetNs + declared.backing_to_domain_offset_ns,
      uncertaintyNs: estimate.uncertaintyNs,
    };
  }

  /** The domain clock this peer declares as the Manager. */
  domainClock(): DomainClock {
    const ref = this.context.clocks.session.ref;
    return declareDomainClock(
      this.name,
      { peerId: this.self, clockId: ref.id, clockHash: ref.hash },
      this.backingOffsetNs,
    );
  }
}
