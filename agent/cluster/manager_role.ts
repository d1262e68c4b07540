/**
 * The Manager's duties: admitting peers that ask to join, gossiping the
 * membership, evicting members that went silent, keeping the Discovery row
 * alive and pointed at this peer, and stepping down when another Manager
 * takes over.
 *
 * @module
 */
import type { Connection, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { rateLimited } from "../../core/logging.ts";
import { rateLimitedByKey } from "../../core/keyed_rate_limit.ts";
import { truncated } from "../../core/log_text.ts";
import { joinRefusal } from "./allow_list.ts";
import { describe, serveRequest } from "../protocols/exchange.ts";
import type { ClusterState } from "./cluster_state.ts";
import { DiscoveryRowMissing } from "./discovery_client.ts";
import { HEARTBEAT_TIMEOUT_MS } from "./heartbeat.ts";
import {
  decodeJoinRequest,
  encodeJoinAnswer,
  JOIN_LIMITS,
  JOIN_TIMEOUT_MS,
  type JoinAnswer,
} from "./join_protocol.ts";
import { readLeave } from "./leave_protocol.ts";
import type { MemberLinks } from "./member_links.ts";
import { isMember, membershipJson } from "./membership.ts";

const LIVENESS_INTERVAL_MS = 1_000;

/** What this peer does while it is the Manager. */
export class ManagerRole {
  readonly #state: ClusterState;
  readonly #links: MemberLinks;
  readonly #displaced: () => void;
  readonly #warnLiveness: (m: string) => void;
  /** Warnings a joiner can cause at will, rate-limited per peer. */
  readonly #warnJoiner: (key: string, m: string) => void;
  #livenessTimer: ReturnType<typeof setInterval> | undefined;

  /**
   * The role for the cluster `state` describes; `displaced` is called after
   * stepping down because Discovery names another Manager.
   */
  constructor(state: ClusterState, links: MemberLinks, displaced: () => void) {
    this.#state = state;
    this.#links = links;
    this.#displaced = displaced;
    this.#warnLiveness = rateLimited(10_000, (m) => state.log.warn(m));
    this.#warnJoiner = rateLimitedByKey(10_000, (m) => state.log.warn(m));
  }

  /** Warns about `peer`, one line per peer and `cause` every 10 s. */
  #warnPeer(peer: string, cause: string, message: string): void {
    this.#warnJoiner(`${peer} ${cause.slice(0, 40)}`, message);
  }

  /** Takes the role with `backingOffsetNs` as the domain clock's offset. */
  become(backingOffsetNs: bigint): void {
    const state = this.#state;
    state.isManager = true;
    state.managerId = state.self;
    state.backingOffsetNs = backingOffsetNs;
    state.managerClock.reset();
    clearInterval(this.#livenessTimer);
    this.#livenessTimer = setInterval(
      () => this.#liveness(),
      LIVENESS_INTERVAL_MS,
    );
    const now = Date.now();
    for (const p of state.membership?.peers ?? []) {
      if (p.peer_id !== state.self) state.lastSeen.set(p.peer_id, now);
    }
  }

  /** Gives the role up: no more liveness checks, heartbeats closed. */
  stepDown(): void {
    this.#state.isManager = false;
    this.#stopLiveness();
    this.#links.closeAll("stepped down");
  }

  #stopLiveness(): void {
    clearInterval(this.#livenessTimer);
    this.#livenessTimer = undefined;
  }

  async #liveness(): Promise<void> {
    const state = this.#state;
    if (!state.isManager || state.membership === undefined) return;
    try {
      const row = await state.settings.discovery.livenessCheck(
        state.name,
        state.membership.peers.length,
      );
      if (state.isManager && row.manager_peer_id !== state.self) {
        if (state.lost.has(row.manager_peer_id)) {
          // The row still names the Manager this peer replaced: the rotation
          // failed (Discovery was unreachable). Claim the row again.
          await this.register();
          return;
        }
        // Another peer took the cluster over while this one was cut off
        // (frozen, partitioned): Discovery's row decides, join that one.
        state.log.warn(
          `Discovery names ${row.manager_peer_id} Manager of "${state.name}"; stepping down to join it`,
        );
        this.stepDown();
        this.#displaced();
      }
    } catch (error) {
      if (error instanceof DiscoveryRowMissing) {
        state.log.warn(
          `Discovery lost the row of "${state.name}"; registering again`,
        );
        await this.register().catch((e) =>
          this.#warnLiveness(`cannot register as Manager: ${describe(e)}`)
        );
      } else {
        this.#warnLiveness(`liveness check failed: ${describe(error)}`);
      }
    }
  }

  /** Points the Discovery row at this peer: rotate, or create when it is gone. */
  async register(): Promise<void> {
    const state = this.#state;
    const { discovery } = state.settings;
    try {
      await discovery.rotateManager(
        state.name,
        state.self,
        state.context.advertised(),
        state.relays,
      );
    } catch (error) {
      if (!(error instanceof DiscoveryRowMissing)) throw error;
      const outcome = await discovery.createCluster(
        state.name,
        state.self,
        state.context.advertised(),
        state.relays,
      );
      if (outcome.outcome === "already_exists") {
        throw new Error(`another peer registered "${state.name}" meanwhile`);
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
      (reason) =>
        this.#warnPeer(
          peer,
          reason,
          `join from ${peer} dropped: ${truncated(reason, 400)}`,
        ),
      JOIN_TIMEOUT_MS,
    ).then(() => {
      if (admitted) {
        this.gossip();
        this.#links.ensureLink(peer);
      }
    });
  };

  #admit(peer: string, multiaddrs: string[]): JoinAnswer {
    const state = this.#state;
    if (!state.isManager || state.membership === undefined) {
      return { kind: "reject", reason: "not the manager" };
    }
    const refusal = joinRefusal(state.settings.allowPeers, peer);
    if (refusal !== undefined) {
      this.#warnPeer(
        peer,
        "allow_peers",
        `refused the join of ${peer}: ${refusal}`,
      );
      return { kind: "reject", reason: refusal };
    }
    const addrs: string[] = [];
    for (const a of multiaddrs) {
      try {
        addrs.push(multiaddr(a).toString());
      } catch {
        this.#warnPeer(
          peer,
          "bad multiaddr",
          `join from ${peer}: ignored the bad multiaddr "${truncated(a)}"`,
        );
      }
    }
    const existing = state.membership.peers.find((p) => p.peer_id === peer);
    if (existing !== undefined) {
      existing.multiaddrs = addrs;
      state.log.info(`member ${peer} joined again`);
    } else {
      state.membership.peers.push({
        peer_id: peer,
        multiaddrs: addrs,
        join_ts_ns: state.context.clocks.utc.now(),
        successor_token: [],
      });
      state.log.info(
        `admitted ${peer} (${state.membership.peers.length} members)`,
      );
    }
    state.lost.delete(peer);
    state.departed.delete(peer);
    state.lastSeen.set(peer, Date.now());
    state.noteOtherMembers();
    state.changed();
    return { kind: "accept", membershipJson: membershipJson(state.membership) };
  }

  /** Evicts silent members and links to connected ones without a heartbeat. */
  watchMembers(): void {
    const state = this.#state;
    for (const p of [...state.membership?.peers ?? []]) {
      if (p.peer_id === state.self) continue;
      if (!state.alive(p.peer_id)) this.#evict(p.peer_id);
      else if (!this.#links.has(p.peer_id) && state.connected(p.peer_id)) {
        this.#links.ensureLink(p.peer_id);
      }
    }
  }

  /**
   * Removes a silent member. One that closed its heartbeat stream itself
   * over a live connection (a peer shutting down) left cleanly: that is an
   * info line; a member that went silent otherwise is a warning.
   */
  #evict(peer: string): void {
    const state = this.#state;
    const left = state.departed.has(peer);
    const count = this.#remove(peer, "evicted");
    const timeout = HEARTBEAT_TIMEOUT_MS / 1000;
    if (left) {
      state.log.info(`${peer} disconnected and is gone (${count} members)`);
    } else {
      state.log.warn(
        `evicted ${peer}: no heartbeat for ${timeout} s (${count} members)`,
      );
    }
    state.context.node.hangUp(peerIdFromString(peer)).catch(() => {});
  }

  /** Handles `/auki/leave/0.0.1` from a member (the gate has run). */
  handleLeave = async (stream: Stream, connection: Connection) => {
    const state = this.#state;
    const peer = connection.remotePeer.toString();
    try {
      await readLeave(stream);
      await stream.close().catch(() => {});
    } catch (error) {
      state.log.warn(`leave from ${peer} dropped: ${describe(error)}`);
      stream.abort(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (
      !state.isManager || state.membership === undefined ||
      !isMember(state.membership, peer)
    ) {
      return;
    }
    const count = this.#remove(peer, "left");
    state.log.info(`${peer} left the cluster (${count} members)`);
  };

  /** Removes member `peer`, closes its link and gossips; returns the member count. */
  #remove(peer: string, reason: string): number {
    const state = this.#state;
    const membership = state.membership!;
    membership.peers = membership.peers.filter((p) => p.peer_id !== peer);
    state.lastSeen.delete(peer);
    state.departed.delete(peer);
    this.#links.close(peer, reason);
    state.changed();
    this.gossip();
    return membership.peers.length;
  }

  /** Sends the membership to every connected member. */
  gossip(): void {
    const state = this.#state;
    const membership = state.membership;
    if (!state.isManager || membership === undefined) return;
    for (const p of membership.peers) {
      if (p.peer_id !== state.self && state.connected(p.peer_id)) {
        this.#links.sendMembership(p.peer_id);
      }
    }
  }

  /**
   * Advertises this Manager's new addresses: updates its own entry, gossips
   * it and rotates the Discovery row.
   */
  async advertise(addrs: string[]): Promise<void> {
    const state = this.#state;
    const self = state.membership?.peers.find((p) => p.peer_id === state.self);
    if (self !== undefined) self.multiaddrs = addrs;
    state.changed();
    this.gossip();
    await this.register().catch((error) =>
      state.log.warn(
        `cannot advertise the new addresses to Discovery: ${describe(error)}`,
      )
    );
    state.log.info(`advertised ${addrs.join(" ")} to the cluster`);
  }

  /**
   * Leaves the role for good; deregisters the cluster from Discovery when
   * this peer is its Manager and last member.
   */
  async stop(): Promise<void> {
    const state = this.#state;
    this.#stopLiveness();
    if (state.isManager && (state.membership?.peers.length ?? 0) <= 1) {
      await state.settings.discovery.deregister(state.name).catch((error) =>
        state.log.warn(`cannot deregister "${state.name}": ${describe(error)}`)
      );
    }
  }
}
