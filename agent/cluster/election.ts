/**
 * Who the Manager is (spec cluster.md 3.8): a member that stops hearing its
 * Manager first asks it whether it is alive, then elects a successor as
 * Rust's `elect_successor` does (but never a member without addresses,
 * docs/decisions.md 46); a member takes a membership update from any
 * peer that names itself Manager and is in the membership it sends (Rust's
 * "last write wins"), a Manager only from a peer the election would have
 * preferred to it (docs/decisions.md 45).
 *
 * @module
 */
import type { Connection, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { brief, describe } from "../protocols/exchange.ts";
import type { Bootstrap } from "./bootstrap.ts";
import type { ClusterState } from "./cluster_state.ts";
import { askToJoin } from "./join_client.ts";
import type { ManagerRole } from "./manager_role.ts";
import type { MemberLinks } from "./member_links.ts";
import { electSuccessor, isMember } from "./membership.ts";
import {
  type MembershipUpdate,
  readMembership,
} from "./membership_protocol.ts";
import { gossipRefusal } from "./allow_list.ts";
import { rateLimitedByKey } from "../../core/keyed_rate_limit.ts";
import { truncated } from "../../core/log_text.ts";

const ELECTION_DELAY_MS = 100;
/** Bounds on asking a silent Manager whether it is alive (dial, then join). */
const REJOIN_DIAL_MS = 1_000;
const REJOIN_ANSWER_MS = 2_000;

/** Failover and the Manager's authority over the membership. */
export class Election {
  readonly #state: ClusterState;
  readonly #links: MemberLinks;
  readonly #role: ManagerRole;
  readonly #bootstrap: Bootstrap;
  #electing = false;
  /** Dropped updates, one line per sender and cause every 10 s. */
  readonly #dropped: (key: string, message: string) => void;

  /** The election of the cluster `state` describes. */
  constructor(
    state: ClusterState,
    links: MemberLinks,
    role: ManagerRole,
    bootstrap: Bootstrap,
  ) {
    this.#state = state;
    this.#links = links;
    this.#role = role;
    this.#bootstrap = bootstrap;
    this.#dropped = rateLimitedByKey(10_000, (m) => state.log.warn(m));
  }

  /** On a member: starts an election once the Manager went silent. */
  watchManager(): void {
    const state = this.#state;
    if (state.alive(state.managerId) || this.#electing) return;
    this.#electing = true;
    setTimeout(() => {
      this.#elect().catch((error) =>
        state.log.error(`election failed: ${describe(error)}`)
      ).finally(() => this.#electing = false);
    }, ELECTION_DELAY_MS);
  }

  async #elect(): Promise<void> {
    const state = this.#state;
    const membership = state.membership;
    if (
      membership === undefined || state.isManager ||
      state.alive(state.managerId)
    ) {
      return;
    }
    const lost = state.managerId;
    if (await this.#rejoinLiving(lost)) return;
    state.lost.add(lost);
    const winner = electSuccessor(
      {
        ...membership,
        peers: membership.peers.filter((p) => !state.lost.has(p.peer_id)),
      },
      lost,
      state.self,
      (peer) => state.connected(peer),
    );
    state.log.warn(
      `lost the Manager ${lost}; elected ${winner?.peer_id ?? "nobody"}`,
    );
    membership.peers = membership.peers.filter((p) => p.peer_id !== lost);
    state.changed();
    this.#links.close(lost, "Manager lost");
    if (winner === undefined) return;
    if (winner.peer_id !== state.self) {
      state.managerId = winner.peer_id;
      state.managerClock.reset();
      state.lastSeen.set(winner.peer_id, Date.now());
      return;
    }
    // Keep domain time continuous: the new backing offset is the estimate.
    const offset = state.domainOffset()?.offsetNs ?? 0n;
    this.#role.become(offset);
    state.log.info(`this peer is now the Manager of "${state.name}"`);
    await this.#role.register().catch((error) =>
      state.log.warn(`cannot rotate the Discovery row: ${describe(error)}`)
    );
    this.#role.gossip();
    for (const p of membership.peers) {
      if (p.peer_id !== state.self) this.#links.ensureLink(p.peer_id);
    }
  }

  /**
   * The Manager went silent to this peer. If it still answers, this peer was
   * evicted (it stalled) or cut off rather than the Manager gone: join it
   * again instead of electing a second Manager.
   */
  async #rejoinLiving(manager: string): Promise<boolean> {
    const state = this.#state;
    const entry = state.membership?.peers.find((p) => p.peer_id === manager);
    if (entry === undefined || entry.multiaddrs.length === 0) return false;
    const peer = peerIdFromString(manager);
    try {
      await state.context.node.dial(peer, {
        signal: AbortSignal.timeout(REJOIN_DIAL_MS),
      });
      const answer = await askToJoin(
        state,
        manager,
        state.context.advertised(),
        REJOIN_ANSWER_MS,
      );
      if (state.stopped || state.isManager || state.managerId !== manager) {
        return true;
      }
      this.#bootstrap.adopt(state.entryOf(manager), answer);
      state.log.warn(
        `the Manager ${manager} went silent but answers: joined it again`,
      );
      return true;
    } catch (error) {
      state.log.debug(`the Manager ${manager} is gone: ${describe(error)}`);
      return false;
    }
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
      const reason = brief(error);
      this.#dropped(
        `${from} ${reason.slice(0, 40)}`,
        `membership update from ${from} dropped: ${truncated(reason, 400)}`,
      );
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  };

  #apply(from: string, update: MembershipUpdate): void {
    const state = this.#state;
    // Older Rust Managers send no `manager_peer_id`: the sender is taken
    // as Manager when it is the one this peer knows.
    const manager = update.managerPeerId ??
      (from === state.managerId ? from : undefined);
    if (manager === undefined) {
      throw new Error(
        `it names no Manager and its sender is not the Manager ${
          state.managerId || "(none yet)"
        }`,
      );
    }
    if (manager !== from) {
      throw new Error(`it names ${manager} as Manager, not its sender`);
    }
    if (!isMember(update.membership, from)) {
      throw new Error("its Manager is not in the membership it sends");
    }
    const refusal = gossipRefusal(
      state.settings.allowPeers,
      update.membership,
      state.self,
    );
    if (refusal !== undefined) throw new Error(refusal);
    if (state.isManager && !state.precedesSelf(from)) {
      // Any member can claim the role; only one the election would have
      // preferred to this Manager (after a partition) takes it over.
      throw new Error(`${from} is not the Manager (this peer is)`);
    }
    if (state.isManager) {
      state.log.warn(`${from} manages "${state.name}" now; stepping down`);
      this.#role.stepDown();
    }
    state.membership = update.membership;
    if (from !== state.managerId) {
      state.managerId = from;
      state.managerClock.reset();
      state.managerDomainClock = undefined;
      state.log.info(`Manager of "${state.name}" is now ${from}`);
    }
    state.lastSeen.set(from, Date.now());
    state.lost.delete(from);
    state.noteOtherMembers();
    state.changed();
    this.#links.closeNonMembers();
    if (!isMember(update.membership, state.self)) {
      state.log.warn(
        `this peer was evicted from "${state.name}"; joining again`,
      );
      this.#bootstrap.rejoin();
    }
  }
}
