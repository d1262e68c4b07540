/**
 * The links between members: one heartbeat substream per Manager–member
 * pair (the Manager dials it, the member answers), dialing the members
 * this peer is not connected to with backoff, and sending the membership
 * to one member.
 *
 * @module
 */
import type { Connection, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { Backoff, sleep } from "../../core/backoff.ts";
import { describe } from "../protocols/exchange.ts";
import { HEARTBEAT, OVER_RELAYS } from "../protocols/ids.ts";
import type { ClusterState } from "./cluster_state.ts";
import { type HeartbeatFrame, HeartbeatLink } from "./heartbeat.ts";
import { isMember, membershipJson } from "./membership.ts";
import { sendMembership } from "./membership_protocol.ts";

const DIAL_BACKOFF_MIN_MS = 1_000;
const DIAL_BACKOFF_MAX_MS = 60_000;

/** This peer's heartbeat links and connections to the other members. */
export class MemberLinks {
  readonly #state: ClusterState;
  readonly #links = new Map<string, HeartbeatLink>();
  readonly #dialBackoff = new Map<string, Backoff>();

  /** Links for the cluster `state` describes. */
  constructor(state: ClusterState) {
    this.#state = state;
  }

  /** Whether a heartbeat link with `peer` is up. */
  has(peer: string): boolean {
    return this.#links.has(peer);
  }

  /** Closes the link with `peer`, if any. */
  close(peer: string, reason: string): void {
    this.#links.get(peer)?.close(reason);
  }

  /** Closes every link. */
  closeAll(reason: string): void {
    for (const link of [...this.#links.values()]) link.close(reason);
  }

  /** Closes the links with peers that are no longer members. */
  closeNonMembers(): void {
    const membership = this.#state.membership;
    for (const peer of [...this.#links.keys()]) {
      if (membership === undefined || !isMember(membership, peer)) {
        this.#links.get(peer)?.close("no longer a member");
      }
    }
  }

  /** Handles an inbound `/auki/heartbeat/0.0.1` from a member (the gate has run). */
  handleHeartbeat = (stream: Stream, connection: Connection): void => {
    const peer = connection.remotePeer.toString();
    this.#links.get(peer)?.close("replaced by a new heartbeat stream");
    this.#startLink(peer, stream);
  };

  #startLink(peer: string, stream: Stream): void {
    const state = this.#state;
    const { clocks } = state.context;
    const link = new HeartbeatLink(stream, {
      clock: {
        id: clocks.session.ref.id,
        hash: clocks.session.ref.hash,
        now: clocks.session.now,
      },
      utcNow: clocks.utc.now,
      domainClock: () => state.isManager ? state.domainClock() : undefined,
      onFrame: (frame) => this.#onFrame(peer, frame),
      onSample: (sample) => {
        if (peer === state.managerId && !state.isManager) {
          state.managerClock.add(sample);
        }
      },
      onClose: (reason, clean) => {
        if (this.#links.get(peer) === link) this.#links.delete(peer);
        // Closed by the member over a live connection: it is leaving. (A
        // killed peer's stream ends too, but with its connection.)
        if (clean && state.connected(peer)) state.departed.add(peer);
        state.log.debug(`heartbeat with ${peer} ended: ${reason}`);
      },
      logger: state.log,
      peer,
    });
    this.#links.set(peer, link);
    link.start();
  }

  #onFrame(peer: string, frame: HeartbeatFrame): void {
    const state = this.#state;
    state.lastSeen.set(peer, Date.now());
    if (peer === state.managerId && frame.domain_clock !== undefined) {
      state.managerDomainClock = frame.domain_clock;
    }
  }

  /**
   * On the Manager: dials a heartbeat link with member `peer` unless one is
   * up, then sends it the membership (a member that missed gossip catches
   * up here).
   */
  async ensureLink(peer: string): Promise<void> {
    const state = this.#state;
    if (!state.isManager || this.#links.has(peer) || state.stopped) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const stream = await state.context.node.dialProtocol(
          peerIdFromString(peer),
          HEARTBEAT,
          {
            signal: AbortSignal.timeout(2_000),
            ...OVER_RELAYS,
          },
        );
        if (!state.isManager || this.#links.has(peer)) {
          stream.abort(new Error("heartbeat no longer needed"));
          return;
        }
        this.#startLink(peer, stream);
        this.sendMembership(peer);
        return;
      } catch {
        await sleep(50);
      }
    }
  }

  /** Sends the current membership to `peer`, in the background. */
  sendMembership(peer: string): void {
    const state = this.#state;
    const membership = state.membership;
    if (membership === undefined) return;
    sendMembership(
      state.context.node,
      peerIdFromString(peer),
      state.self,
      membershipJson(membership),
    ).catch((error) =>
      state.log.debug(`membership to ${peer} failed: ${describe(error)}`)
    );
  }

  /** Dials the members this peer is not connected to, each with its own backoff. */
  dialMembers(): void {
    const state = this.#state;
    const membership = state.membership;
    if (membership === undefined || state.stopped) return;
    const now = Date.now();
    for (const p of membership.peers) {
      if (p.peer_id === state.self || state.connected(p.peer_id)) {
        this.#dialBackoff.delete(p.peer_id);
        continue;
      }
      if (p.multiaddrs.length === 0) continue;
      let backoff = this.#dialBackoff.get(p.peer_id);
      if (backoff === undefined) {
        backoff = new Backoff(DIAL_BACKOFF_MIN_MS, DIAL_BACKOFF_MAX_MS);
        this.#dialBackoff.set(p.peer_id, backoff);
      }
      if (!backoff.due(now)) continue;
      backoff.fail(now);
      const peer = peerIdFromString(p.peer_id);
      const { node } = state.context;
      node.peerStore.merge(peer, {
        multiaddrs: p.multiaddrs.map((a) => multiaddr(a)),
      }).then(() => node.dial(peer, { signal: AbortSignal.timeout(5_000) }))
        .catch((error) =>
          state.log.debug(`dialing ${p.peer_id}: ${describe(error)}`)
        );
    }
  }

  /** A new connection: a member was heard from; the Manager links to it. */
  onConnection = (event: CustomEvent<Connection>): void => {
    const state = this.#state;
    const peer = event.detail.remotePeer.toString();
    if (
      state.membership && isMember(state.membership, peer) &&
      peer !== state.self
    ) {
      state.lastSeen.set(
        peer,
        Math.max(state.lastSeen.get(peer) ?? 0, Date.now()),
      );
      state.noteOtherMembers();
      if (state.isManager) this.ensureLink(peer);
    }
  };
}
