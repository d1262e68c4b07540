/**
 * Membership in a generation-A Auki cluster, as the Rust `ClusterManager`
 * keeps it (spec cluster.md sections 2–4): bootstrap through Discovery,
 * admission by the Manager, gossip, full-mesh dialing, heartbeats, eviction,
 * failover by election, and the domain clock.
 *
 * @module
 */
import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import type { AgentClocks } from "../clocks/clocks.ts";
import { type Logger, rateLimited } from "../../core/logging.ts";
import { brief, describe, serveRequest } from "../protocols/exchange.ts";
import { HEARTBEAT, OVER_RELAYS } from "../protocols/ids.ts";
import { OffsetEstimator } from "./clock_estimate.ts";
import {
  type DiscoveryClient,
  DiscoveryError,
  DiscoveryRowMissing,
} from "./discovery_client.ts";
import type { ClusterEntry } from "./discovery_types.ts";
import { declareDomainClock, type DomainClock } from "./domain_clock.ts";
import {
  HEARTBEAT_TIMEOUT_MS,
  type HeartbeatFrame,
  HeartbeatLink,
} from "./heartbeat.ts";
import {
  decodeJoinRequest,
  encodeJoinAnswer,
  JOIN_LIMITS,
  JOIN_TIMEOUT_MS,
  type JoinAnswer,
  requestJoin,
  type WireEncoding,
} from "./join_protocol.ts";
import {
  type ClusterMembership,
  electionOrder,
  electSuccessor,
  isMember,
  membershipJson,
  parseMembership,
} from "./membership.ts";
import { readMembership, sendMembership } from "./membership_protocol.ts";

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
  /** Encoding of the join requests this peer sends. */
  wireEncoding: WireEncoding;
  /** `Authorization` value sent in join requests, if any. */
  authorization?: string;
}

/** What the cluster manager needs from the agent. */
export interface ClusterContext {
  /** The started libp2p node. */
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

/** A bootstrap failure that retrying cannot fix. */
export class ClusterBootstrapError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ClusterBootstrapError";
  }
}

const SCAN_INTERVAL_MS = 250;
const DIAL_INTERVAL_MS = 500;
const LIVENESS_INTERVAL_MS = 1_000;
const ELECTION_DELAY_MS = 100;
const CONNECT_BUDGET_MS = 10_000;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const BOOTSTRAP_RETRY_MAX_MS = 30_000;
/** Bounds on asking a silent Manager whether it is alive (dial, then join). */
const REJOIN_DIAL_MS = 1_000;
const REJOIN_ANSWER_MS = 2_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** This peer's membership in one cluster. */
export class ClusterManager {
  readonly #settings: ClusterSettings;
  readonly #context: ClusterContext;
  readonly #self: string;
  readonly #log: Logger;
  readonly #joined = Promise.withResolvers<void>();
  #name: string;
  #membership: ClusterMembership | undefined;
  #managerId = "";
  #isManager = false;
  #relays: string[] = [];
  #joinedAtNs: bigint | null = null;
  #backingOffsetNs = 0n;
  readonly #preAllowed = new Set<string>();
  readonly #links = new Map<string, HeartbeatLink>();
  readonly #lastSeen = new Map<string, number>();
  readonly #lost = new Set<string>();
  readonly #dialBackoff = new Map<string, { at: number; delay: number }>();
  readonly #managerClock = new OffsetEstimator();
  #managerDomainClock: DomainClock | undefined;
  #timers: ReturnType<typeof setInterval>[] = [];
  #livenessTimer: ReturnType<typeof setInterval> | undefined;
  #electing = false;
  #stopped = false;
  readonly #warnLiveness: (m: string) => void;

  /** A manager for `settings`; {@link start} joins. */
  constructor(settings: ClusterSettings, context: ClusterContext) {
    this.#settings = settings;
    this.#context = context;
    this.#self = context.node.peerId.toString();
    this.#name = settings.name;
    this.#log = context.logger.child("cluster");
    this.#warnLiveness = rateLimited(10_000, (m) => this.#log.warn(m));
    this.#joined.promise.catch(() => {});
  }

  /** Resolves once this peer is in the cluster; rejects on a fatal bootstrap error. */
  get joined(): Promise<void> {
    return this.#joined.promise;
  }

  /** The cluster's state now. */
  status(): ClusterStatus {
    return {
      name: this.#name,
      isManager: this.#isManager,
      managerPeerId: this.#managerId,
      joinedAtNs: this.#joinedAtNs,
    };
  }

  /** The current membership, once joined. */
  membership(): ClusterMembership | undefined {
    return this.#membership;
  }

  /**
   * Whether `peerId` may use the gated protocols: a member other than this
   * peer, or the Manager being joined.
   */
  admits(peerId: string): boolean {
    if (this.#preAllowed.has(peerId)) return true;
    return peerId !== this.#self && this.#membership !== undefined &&
      isMember(this.#membership, peerId);
  }

  /**
   * This peer's domain clock offset (domain minus session clock), with its
   * uncertainty; `undefined` before any estimate exists.
   */
  domainOffset(): { offsetNs: bigint; uncertaintyNs: bigint } | undefined {
    if (this.#isManager) {
      return { offsetNs: this.#backingOffsetNs, uncertaintyNs: 0n };
    }
    const estimate = this.#managerClock.estimate();
    const declared = this.#managerDomainClock;
    if (estimate === undefined || declared === undefined) return undefined;
    return {
      offsetNs: estimate.offsetNs + declared.backing_to_domain_offset_ns,
      uncertaintyNs: estimate.uncertaintyNs,
    };
  }

  /** Starts bootstrapping in the background, retrying transient failures. */
  start(): void {
    (this.#context.reachable?.() ?? Promise.resolve()).then(() =>
      this.#bootstrapLoop()
    );
    this.#timers.push(
      setInterval(() => this.#scan(), SCAN_INTERVAL_MS),
      setInterval(() => this.#dialMembers(), DIAL_INTERVAL_MS),
    );
    this.#context.node.addEventListener("connection:open", this.#onConnection);
  }

  /**
   * Bootstraps until in; the first time by the configured policy, later
   * (evicted, displaced) by joining this cluster again, or creating it anew
   * when its row is gone.
   */
  async #bootstrapLoop(
    target: ClusterTarget = this.#settings.target,
    name: string = this.#settings.name,
  ): Promise<void> {
    let delay = BACKOFF_MIN_MS;
    while (!this.#stopped) {
      try {
        await this.#bootstrap(target, name);
        this.#joined.resolve();
        return;
      } catch (error) {
        if (error instanceof ClusterBootstrapError) {
          this.#log.error(error.message);
          this.#joined.reject(error);
          return;
        }
        this.#log.warn(
          `cannot enter cluster "${this.#name}" yet: ${
            error instanceof DiscoveryError ? error.message : describe(error)
          }; retrying in ${delay / 1000} s`,
        );
        await sleep(delay);
        delay = Math.min(delay * 2, BOOTSTRAP_RETRY_MAX_MS);
      }
    }
  }

  async #bootstrap(target: ClusterTarget, name: string): Promise<void> {
    const { discovery } = this.#settings;
    if (target === "create") return await this.#create(name, true);
    const clusters = await discovery.listClusters();
    if (target === "most_recent_or_create") {
      return clusters.length > 0
        ? await this.#join(clusters[0])
        : await this.#create(name, false);
    }
    const entry = clusters.find((c) => c.name === name);
    if (entry !== undefined) return await this.#join(entry);
    if (target === "join") {
      throw new ClusterBootstrapError(
        `cluster "${name}" is not listed by Discovery ${discovery.baseUrl}; use --target join_or_create to create it`,
      );
    }
    await this.#create(name, false);
  }

  /**
   * Tells the cluster this peer's addresses changed (a relay reservation was
   * made or lost): a Manager updates its own entry, gossips it and rotates
   * the Discovery row; a member sends the Manager a new join request, which
   * refreshes its entry and makes the Manager gossip it.
   */
  async readvertise(): Promise<void> {
    const membership = this.#membership;
    const addrs = this.#context.advertised();
    // With no address left (the only relay is gone), keep the last ones:
    // they work again once the relay is back.
    if (membership === undefined || this.#stopped || addrs.length === 0) {
      return;
    }
    if (this.#isManager) {
      const self = membership.peers.find((p) => p.peer_id === this.#self);
      if (self !== undefined) self.multiaddrs = addrs;
      this.#changed();
      this.#gossip();
      await this.#registerAsManager().catch((error) =>
        this.#log.warn(
          `cannot advertise the new addresses to Discovery: ${describe(error)}`,
        )
      );
      this.#log.info(`advertised ${addrs.join(" ")} to the cluster`);
      return;
    }
    const manager = this.#managerId;
    try {
      const answer = await requestJoin(
        this.#context.node,
        peerIdFromString(manager),
        addrs,
        {
          encoding: this.#settings.wireEncoding,
          authorization: this.#settings.authorization,
        },
      );
      if (this.#stopped || this.#isManager || this.#managerId !== manager) {
        return;
      }
      this.#adopt(this.#entryOf(manager), answer);
      this.#log.info(`advertised ${addrs.join(" ")} to the Manager`);
    } catch (error) {
      this.#log.warn(
        `cannot advertise the new addresses to the Manager: ${describe(error)}`,
      );
    }
  }

  /** The Discovery-like entry of the cluster as this peer knows it, managed by `manager`. */
  #entryOf(manager: string): ClusterEntry {
    return {
      name: this.#name,
      manager_peer_id: manager,
      manager_multiaddrs:
        this.#membership?.peers.find((p) => p.peer_id === manager)
          ?.multiaddrs ?? [],
      relay_multiaddrs: this.#relays,
      peer_count: 0,
      created_ns: 0n,
      last_liveness_check_ns: 0n,
    };
  }

  /** Leaves the membership this peer had and enters its cluster again. */
  #rejoin(): void {
    this.#membership = undefined;
    this.#changed();
    this.#bootstrapLoop("join_or_create", this.#name);
  }

  async #create(name: string, fatalIfTaken: boolean): Promise<void> {
    const outcome = await this.#settings.discovery.createCluster(
      name,
      this.#self,
      this.#context.advertised(),
    );
    if (outcome.outcome === "already_exists") {
      if (fatalIfTaken) {
        throw new ClusterBootstrapError(
          `cluster "${name}" already exists in Discovery ${this.#settings.discovery.baseUrl}; choose another name or use --target join_or_create`,
        );
      }
      throw new Error(
        `cluster "${name}" was created by another peer meanwhile`,
      );
    }
    this.#name = name;
    this.#relays = outcome.entry.relay_multiaddrs;
    this.#membership = {
      cluster_name: name,
      peers: [{
        peer_id: this.#self,
        multiaddrs: this.#context.advertised(),
        join_ts_ns: this.#context.clocks.utc.now(),
        successor_token: [],
      }],
    };
    this.#becomeManager(0n);
    this.#changed();
    this.#log.info(`created cluster "${name}" as its Manager`);
  }

  async #join(entry: ClusterEntry): Promise<void> {
    const { node } = this.#context;
    const manager = peerIdFromString(entry.manager_peer_id);
    if (entry.manager_peer_id === this.#self) {
      // Discovery still names this peer: it restarted before the row was
      // swept. Alone, it takes its cluster back; with other members, they
      // are failing over, and it joins whoever wins.
      if (entry.peer_count > 1) {
        throw new Error(
          `Discovery still names this peer Manager of "${entry.name}" (${entry.peer_count} members); waiting for the others to fail over`,
        );
      }
      return await this.#reclaim(entry);
    }
    this.#preAllowed.add(entry.manager_peer_id);
    try {
      await this.#connect(manager, entry.manager_multiaddrs);
      const answer = await requestJoin(
        node,
        manager,
        this.#context.advertised(),
        {
          encoding: this.#settings.wireEncoding,
          authorization: this.#settings.authorization,
        },
      );
      this.#adopt(entry, answer);
    } finally {
      this.#preAllowed.delete(entry.manager_peer_id);
    }
  }

  #adopt(entry: ClusterEntry, answer: JoinAnswer): void {
    if (answer.kind === "reject") {
      const message =
        `the Manager of "${entry.name}" refused to admit this peer: ${answer.reason}`;
      if (answer.reason === "not the manager") throw new Error(message);
      throw new ClusterBootstrapError(message);
    }
    const membership = parseMembership(answer.membershipJson);
    if (!isMember(membership, this.#self)) {
      throw new Error(
        `the Manager of "${entry.name}" accepted but left this peer out`,
      );
    }
    this.#name = entry.name;
    this.#relays = entry.relay_multiaddrs;
    this.#membership = membership;
    this.#managerId = entry.manager_peer_id;
    this.#isManager = false;
    this.#lastSeen.set(this.#managerId, Date.now());
    this.#noteOtherMembers();
    this.#changed();
    this.#log.info(
      `joined cluster "${entry.name}" (${membership.peers.length} members, Manager ${entry.manager_peer_id})`,
    );
  }

  async #reclaim(entry: ClusterEntry): Promise<void> {
    this.#membership = {
      cluster_name: entry.name,
      peers: [{
        peer_id: this.#self,
        multiaddrs: this.#context.advertised(),
        join_ts_ns: this.#context.clocks.utc.now(),
        successor_token: [],
      }],
    };
    this.#name = entry.name;
    this.#relays = entry.relay_multiaddrs;
    await this.#registerAsManager();
    this.#becomeManager(0n);
    this.#changed();
    this.#log.info(
      `Discovery still named this peer Manager of "${entry.name}"; took it back`,
    );
  }

  async #connect(peer: PeerId, addrs: string[]): Promise<void> {
    const { node } = this.#context;
    await node.peerStore.merge(peer, {
      multiaddrs: addrs.map((a) => multiaddr(a)),
    });
    const deadline = Date.now() + CONNECT_BUDGET_MS;
    for (;;) {
      try {
        await node.dial(peer, { signal: AbortSignal.timeout(2_000) });
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `cannot reach the Manager ${peer} at ${addrs.join(" ")}: ${
              describe(error)
            }`,
          );
        }
        await sleep(100);
      }
    }
  }

  #becomeManager(backingOffsetNs: bigint): void {
    this.#isManager = true;
    this.#managerId = this.#self;
    this.#backingOffsetNs = backingOffsetNs;
    this.#managerClock.reset();
    clearInterval(this.#livenessTimer);
    this.#livenessTimer = setInterval(
      () => this.#liveness(),
      LIVENESS_INTERVAL_MS,
    );
    const now = Date.now();
    for (const p of this.#membership?.peers ?? []) {
      if (p.peer_id !== this.#self) this.#lastSeen.set(p.peer_id, now);
    }
  }

  async #liveness(): Promise<void> {
    if (!this.#isManager || this.#membership === undefined) return;
    try {
      const row = await this.#settings.discovery.livenessCheck(
        this.#name,
        this.#membership.peers.length,
      );
      if (this.#isManager && row.manager_peer_id !== this.#self) {
        if (this.#lost.has(row.manager_peer_id)) {
          // The row still names the Manager this peer replaced: the rotation
          // failed (Discovery was unreachable). Claim the row again.
          await this.#registerAsManager();
          return;
        }
        // Another peer took the cluster over while this one was cut off
        // (frozen, partitioned): Discovery's row decides, join that one.
        this.#log.warn(
          `Discovery names ${row.manager_peer_id} Manager of "${this.#name}"; stepping down to join it`,
        );
        this.#stepDown();
        this.#rejoin();
      }
    } catch (error) {
      if (error instanceof DiscoveryRowMissing) {
        this.#log.warn(
          `Discovery lost the row of "${this.#name}"; registering again`,
        );
        await this.#registerAsManager().catch((e) =>
          this.#warnLiveness(`cannot register as Manager: ${describe(e)}`)
        );
      } else {
        this.#warnLiveness(`liveness check failed: ${describe(error)}`);
      }
    }
  }

  /** Points the Discovery row at this peer: rotate, or create when it is gone. */
  async #registerAsManager(): Promise<void> {
    const { discovery } = this.#settings;
    try {
      await discovery.rotateManager(
        this.#name,
        this.#self,
        this.#context.advertised(),
        this.#relays,
      );
    } catch (error) {
      if (!(error instanceof DiscoveryRowMissing)) throw error;
      const outcome = await discovery.createCluster(
        this.#name,
        this.#self,
        this.#context.advertised(),
        this.#relays,
      );
      if (outcome.outcome === "already_exists") {
        throw new Error(`another peer registered "${this.#name}" meanwhile`);
      }
    }
  }

  /** Handles `/auki/join/0.0.1`: the only protocol a non-member may open. */
  handleJoin = (stream: Stream, connection: Connection): void => {
    const peer = connection.remotePeer.toString();
    let admitted = false;
    serveRequest(
      stream,
      JOIN_LIMITS,
      (body) => {
        const request = decodeJoinRequest(body);
        const answer = this.#admit(peer, request.multiaddrs);
        admitted = answer.kind === "accept";
        return encodeJoinAnswer(answer, request.encoding);
      },
      (reason) => this.#log.warn(`join from ${peer} dropped: ${reason}`),
      JOIN_TIMEOUT_MS,
    ).then(() => {
      if (admitted) {
        this.#gossip();
        this.#ensureLink(peer);
      }
    });
  };

  #admit(peer: string, multiaddrs: string[]): JoinAnswer {
    if (!this.#isManager || this.#membership === undefined) {
      return { kind: "reject", reason: "not the manager" };
    }
    const addrs: string[] = [];
    for (const a of multiaddrs) {
      try {
        addrs.push(multiaddr(a).toString());
      } catch {
        this.#log.warn(`join from ${peer}: ignored the bad multiaddr "${a}"`);
      }
    }
    const existing = this.#membership.peers.find((p) => p.peer_id === peer);
    if (existing !== undefined) {
      existing.multiaddrs = addrs;
      this.#log.info(`member ${peer} joined again`);
    } else {
      this.#membership.peers.push({
        peer_id: peer,
        multiaddrs: addrs,
        join_ts_ns: this.#context.clocks.utc.now(),
        successor_token: [],
      });
      this.#log.info(
        `admitted ${peer} (${this.#membership.peers.length} members)`,
      );
    }
    this.#lost.delete(peer);
    this.#lastSeen.set(peer, Date.now());
    this.#noteOtherMembers();
    this.#changed();
    return { kind: "accept", membershipJson: membershipJson(this.#membership) };
  }

  /** Handles `/auki/membership/0.0.1` from a member (the gate has run). */
  handleMembership = async (
    stream: Stream,
    connection: Connection,
  ): Promise<void> => {
    const from = connection.remotePeer.toString();
    try {
      this.#apply(from, await readMembership(stream));
    } catch (error) {
      this.#log.warn(`membership update from ${from} dropped: ${brief(error)}`);
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  };

  #apply(
    from: string,
    update: { managerPeerId: string; membership: ClusterMembership },
  ): void {
    if (update.managerPeerId !== from) {
      throw new Error(
        `it names ${update.managerPeerId} as Manager, not its sender`,
      );
    }
    if (!isMember(update.membership, from)) {
      throw new Error("its Manager is not in the membership it sends");
    }
    if (this.#isManager && !this.#precedesSelf(from)) {
      // Any member can claim the role; only one the election would have
      // preferred to this Manager (after a partition) takes it over.
      throw new Error(`${from} is not the Manager (this peer is)`);
    }
    if (
      !this.#isManager && from !== this.#managerId &&
      this.#alive(this.#managerId)
    ) {
      throw new Error(
        `${from} is not the Manager (${this.#managerId} is alive)`,
      );
    }
    if (this.#isManager) {
      this.#log.warn(`${from} manages "${this.#name}" now; stepping down`);
      this.#stepDown();
    }
    this.#membership = update.membership;
    if (from !== this.#managerId) {
      this.#managerId = from;
      this.#managerClock.reset();
      this.#managerDomainClock = undefined;
      this.#log.info(`Manager of "${this.#name}" is now ${from}`);
    }
    this.#lastSeen.set(from, Date.now());
    this.#lost.delete(from);
    this.#noteOtherMembers();
    this.#changed();
    for (const peer of [...this.#links.keys()]) {
      if (!isMember(update.membership, peer)) {
        this.#links.get(peer)?.close("no longer a member");
      }
    }
    if (!isMember(update.membership, this.#self)) {
      this.#log.warn(
        `this peer was evicted from "${this.#name}"; joining again`,
      );
      this.#rejoin();
    }
  }

  /** Whether member `peer` comes before this peer in election order, by this peer's membership. */
  #precedesSelf(peer: string): boolean {
    const peers = this.#membership?.peers ?? [];
    const other = peers.find((p) => p.peer_id === peer);
    const self = peers.find((p) => p.peer_id === this.#self);
    return other !== undefined && self !== undefined &&
      electionOrder(other, self) < 0;
  }

  #stepDown(): void {
    this.#isManager = false;
    clearInterval(this.#livenessTimer);
    this.#livenessTimer = undefined;
    for (const link of this.#links.values()) link.close("stepped down");
  }

  /** Handles an inbound `/auki/heartbeat/0.0.1` from a member (the gate has run). */
  handleHeartbeat = (stream: Stream, connection: Connection): void => {
    const peer = connection.remotePeer.toString();
    this.#links.get(peer)?.close("replaced by a new heartbeat stream");
    this.#startLink(peer, stream);
  };

  #startLink(peer: string, stream: Stream): void {
    const { clocks } = this.#context;
    const link = new HeartbeatLink(stream, {
      clock: {
        id: clocks.session.ref.id,
        hash: clocks.session.ref.hash,
        now: clocks.session.now,
      },
      utcNow: clocks.utc.now,
      domainClock: () => this.#isManager ? this.#domainClock() : undefined,
      onFrame: (frame) => this.#onFrame(peer, frame),
      onSample: (sample) => {
        if (peer === this.#managerId && !this.#isManager) {
          this.#managerClock.add(sample);
        }
      },
      onClose: (reason) => {
        if (this.#links.get(peer) === link) this.#links.delete(peer);
        this.#log.debug(`heartbeat with ${peer} ended: ${reason}`);
      },
      logger: this.#log,
      peer,
    });
    this.#links.set(peer, link);
    link.start();
  }

  #onFrame(peer: string, frame: HeartbeatFrame): void {
    this.#lastSeen.set(peer, Date.now());
    if (peer === this.#managerId && frame.domain_clock !== undefined) {
      this.#managerDomainClock = frame.domain_clock;
    }
  }

  #domainClock(): DomainClock {
    const ref = this.#context.clocks.session.ref;
    return declareDomainClock(
      this.#name,
      { peerId: this.#self, clockId: ref.id, clockHash: ref.hash },
      this.#backingOffsetNs,
    );
  }

  async #ensureLink(peer: string): Promise<void> {
    if (!this.#isManager || this.#links.has(peer) || this.#stopped) return;
    const { node } = this.#context;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const stream = await node.dialProtocol(
          peerIdFromString(peer),
          HEARTBEAT,
          {
            signal: AbortSignal.timeout(2_000),
            ...OVER_RELAYS,
          },
        );
        if (!this.#isManager || this.#links.has(peer)) {
          stream.abort(new Error("heartbeat no longer needed"));
          return;
        }
        this.#startLink(peer, stream);
        // A member that missed gossip (failover, reconnect) catches up here.
        this.#sendMembershipTo(peer);
        return;
      } catch {
        await sleep(50);
      }
    }
  }

  #alive(peer: string): boolean {
    const seen = this.#lastSeen.get(peer);
    return seen !== undefined && Date.now() - seen < HEARTBEAT_TIMEOUT_MS;
  }

  #scan(): void {
    const membership = this.#membership;
    if (membership === undefined || this.#stopped) return;
    if (this.#isManager) {
      for (const p of [...membership.peers]) {
        if (p.peer_id === this.#self) continue;
        if (!this.#alive(p.peer_id)) this.#evict(p.peer_id);
        else if (!this.#links.has(p.peer_id) && this.#connected(p.peer_id)) {
          this.#ensureLink(p.peer_id);
        }
      }
    } else if (!this.#alive(this.#managerId) && !this.#electing) {
      this.#electing = true;
      setTimeout(() => {
        this.#elect().catch((error) =>
          this.#log.error(`election failed: ${describe(error)}`)
        ).finally(() => this.#electing = false);
      }, ELECTION_DELAY_MS);
    }
  }

  #evict(peer: string): void {
    const membership = this.#membership!;
    membership.peers = membership.peers.filter((p) => p.peer_id !== peer);
    this.#lastSeen.delete(peer);
    this.#links.get(peer)?.close("evicted");
    this.#log.warn(
      `evicted ${peer}: no heartbeat for ${
        HEARTBEAT_TIMEOUT_MS / 1000
      } s (${membership.peers.length} members)`,
    );
    this.#context.node.hangUp(peerIdFromString(peer)).catch(() => {});
    this.#changed();
    this.#gossip();
  }

  async #elect(): Promise<void> {
    const membership = this.#membership;
    if (
      membership === undefined || this.#isManager ||
      this.#alive(this.#managerId)
    ) {
      return;
    }
    const lost = this.#managerId;
    if (await this.#rejoinLiving(lost)) return;
    this.#lost.add(lost);
    const winner = electSuccessor(
      {
        ...membership,
        peers: membership.peers.filter((p) => !this.#lost.has(p.peer_id)),
      },
      lost,
      this.#self,
      (peer) => this.#connected(peer),
    );
    this.#log.warn(
      `lost the Manager ${lost}; elected ${winner?.peer_id ?? "nobody"}`,
    );
    membership.peers = membership.peers.filter((p) => p.peer_id !== lost);
    this.#changed();
    this.#links.get(lost)?.close("Manager lost");
    if (winner === undefined) return;
    if (winner.peer_id !== this.#self) {
      this.#managerId = winner.peer_id;
      this.#managerClock.reset();
      this.#lastSeen.set(winner.peer_id, Date.now());
      return;
    }
    // Keep domain time continuous: the new backing offset is the estimate.
    const offset = this.domainOffset()?.offsetNs ?? 0n;
    this.#becomeManager(offset);
    this.#log.info(`this peer is now the Manager of "${this.#name}"`);
    await this.#registerAsManager().catch((error) =>
      this.#log.warn(`cannot rotate the Discovery row: ${describe(error)}`)
    );
    this.#gossip();
    for (const p of membership.peers) {
      if (p.peer_id !== this.#self) this.#ensureLink(p.peer_id);
    }
  }

  /**
   * The Manager went silent to this peer. If it still answers, this peer was
   * evicted (it stalled) or cut off rather than the Manager gone: join it
   * again instead of electing a second Manager.
   */
  async #rejoinLiving(manager: string): Promise<boolean> {
    const entry = this.#membership?.peers.find((p) => p.peer_id === manager);
    if (entry === undefined || entry.multiaddrs.length === 0) return false;
    const peer = peerIdFromString(manager);
    try {
      await this.#context.node.dial(peer, {
        signal: AbortSignal.timeout(REJOIN_DIAL_MS),
      });
      const answer = await requestJoin(
        this.#context.node,
        peer,
        this.#context.advertised(),
        {
          encoding: this.#settings.wireEncoding,
          authorization: this.#settings.authorization,
          timeoutMs: REJOIN_ANSWER_MS,
        },
      );
      if (this.#stopped || this.#isManager || this.#managerId !== manager) {
        return true;
      }
      this.#adopt(this.#entryOf(manager), answer);
      this.#log.warn(
        `the Manager ${manager} went silent but answers: joined it again`,
      );
      return true;
    } catch (error) {
      this.#log.debug(`the Manager ${manager} is gone: ${describe(error)}`);
      return false;
    }
  }

  #gossip(): void {
    const membership = this.#membership;
    if (!this.#isManager || membership === undefined) return;
    for (const p of membership.peers) {
      if (p.peer_id !== this.#self && this.#connected(p.peer_id)) {
        this.#sendMembershipTo(p.peer_id);
      }
    }
  }

  #sendMembershipTo(peer: string): void {
    const membership = this.#membership;
    if (membership === undefined) return;
    sendMembership(
      this.#context.node,
      peerIdFromString(peer),
      this.#self,
      membershipJson(membership),
    ).catch((error) =>
      this.#log.debug(`membership to ${peer} failed: ${describe(error)}`)
    );
  }

  #connected(peer: string): boolean {
    return this.#context.node.getConnections(peerIdFromString(peer)).length > 0;
  }

  #dialMembers(): void {
    const membership = this.#membership;
    if (membership === undefined || this.#stopped) return;
    const now = Date.now();
    for (const p of membership.peers) {
      if (p.peer_id === this.#self || this.#connected(p.peer_id)) {
        this.#dialBackoff.delete(p.peer_id);
        continue;
      }
      if (p.multiaddrs.length === 0) continue;
      const backoff = this.#dialBackoff.get(p.peer_id) ?? { at: 0, delay: 0 };
      if (now < backoff.at) continue;
      const delay = Math.min(
        Math.max(backoff.delay * 2, BACKOFF_MIN_MS),
        BACKOFF_MAX_MS,
      );
      this.#dialBackoff.set(p.peer_id, { at: now + delay, delay });
      const peer = peerIdFromString(p.peer_id);
      this.#context.node.peerStore.merge(peer, {
        multiaddrs: p.multiaddrs.map((a) => multiaddr(a)),
      }).then(() =>
        this.#context.node.dial(peer, { signal: AbortSignal.timeout(5_000) })
      )
        .catch((error) =>
          this.#log.debug(`dialing ${p.peer_id}: ${describe(error)}`)
        );
    }
  }

  #onConnection = (event: CustomEvent<Connection>): void => {
    const peer = event.detail.remotePeer.toString();
    if (
      this.#membership && isMember(this.#membership, peer) &&
      peer !== this.#self
    ) {
      this.#lastSeen.set(
        peer,
        Math.max(this.#lastSeen.get(peer) ?? 0, Date.now()),
      );
      this.#noteOtherMembers();
      if (this.#isManager) this.#ensureLink(peer);
    }
  };

  #changed(): void {
    this.#context.onMembership?.(this.#name, this.#membership);
  }

  #noteOtherMembers(): void {
    if (
      this.#joinedAtNs === null && (this.#membership?.peers.length ?? 0) > 1
    ) {
      this.#joinedAtNs = this.#context.clocks.session.now();
    }
  }

  /**
   * Leaves: stops heartbeats and timers, and deregisters the cluster from
   * Discovery when this peer is its Manager and last member.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#context.node.removeEventListener(
      "connection:open",
      this.#onConnection,
    );
    for (const timer of this.#timers) clearInterval(timer);
    clearInterval(this.#livenessTimer);
    for (const link of [...this.#links.values()]) {
      link.close("leaving the cluster");
    }
    if (this.#isManager && (this.#membership?.peers.length ?? 0) <= 1) {
      await this.#settings.discovery.deregister(this.#name).catch((error) =>
        this.#log.warn(`cannot deregister "${this.#name}": ${describe(error)}`)
      );
    }
    this.#joined.reject(new Error("left the cluster before joining"));
  }
}
