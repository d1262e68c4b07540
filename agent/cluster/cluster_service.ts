/**
 * Membership in a generation-A Auki cluster, as the Rust `ClusterManager`
 * keeps it (spec cluster.md sections 2–4), as a protocol service: it
 * registers the join, membership and heartbeat handlers, installs the
 * membership gate, and composes the cluster's parts: its state
 * (cluster_state.ts), bootstrap (bootstrap.ts), the Manager role
 * (manager_role.ts), the links to the members (member_links.ts) and the
 * election (election.ts).
 *
 * @module
 */
import type { AgentClocks } from "../clocks/clocks.ts";
import {
  HEARTBEAT,
  JOIN,
  LEAVE,
  MEMBERSHIP,
  OVER_RELAYS,
} from "../protocols/ids.ts";
import { describe } from "../protocols/exchange.ts";
import {
  handleGated,
  type Service,
  type ServiceComponents,
} from "../protocols/service.ts";
import { Bootstrap } from "./bootstrap.ts";
import {
  type ClusterSettings,
  ClusterState,
  type ClusterStatus,
} from "./cluster_state.ts";
import { Election } from "./election.ts";
import { sendLeave } from "./leave_protocol.ts";
import { ManagerRole } from "./manager_role.ts";
import { MemberLinks } from "./member_links.ts";
import { type ClusterMembership, isMember } from "./membership.ts";
import { peerIdFromString } from "@libp2p/peer-id";

const SCAN_INTERVAL_MS = 250;
const DIAL_INTERVAL_MS = 500;

/** What the cluster service needs beyond the common components. */
export interface ClusterComponents extends ServiceComponents {
  /** The session and UTC clocks. */
  clocks: AgentClocks;
  /** This peer's dialable multiaddrs, for Discovery and join requests. */
  advertised(): string[];
  /**
   * Resolves once the addresses are worth advertising (a relay reservation
   * is held, or waiting for one was given up); bootstrap waits for it.
   */
  reachable?(): Promise<void>;
}

/** The `membership` event's detail. */
export interface MembershipChange {
  /** The cluster's name. */
  cluster: string;
  /** The membership now; `undefined` once evicted and joining again. */
  membership: ClusterMembership | undefined;
}

/**
 * This peer's membership in one cluster. Dispatches a `membership`
 * event ({@link MembershipChange}) after every change of the membership.
 */
export class ClusterService extends EventTarget implements Service {
  readonly #components: ClusterComponents;
  readonly #state: ClusterState;
  readonly #links: MemberLinks;
  readonly #role: ManagerRole;
  readonly #bootstrap: Bootstrap;
  readonly #election: Election;
  #timers: ReturnType<typeof setInterval>[] = [];

  /** The service for `init`; {@link start} registers it, {@link afterStart} joins. */
  constructor(init: ClusterSettings, components: ClusterComponents) {
    super();
    this.#components = components;
    const state = new ClusterState(init, {
      ...components,
      onMembership: (cluster, membership) =>
        this.dispatchEvent(
          new CustomEvent<MembershipChange>("membership", {
            detail: { cluster, membership },
          }),
        ),
    });
    this.#state = state;
    this.#links = new MemberLinks(state);
    this.#role = new ManagerRole(
      state,
      this.#links,
      () => this.#bootstrap.rejoin(),
    );
    this.#bootstrap = new Bootstrap(state, this.#role);
    this.#election = new Election(
      state,
      this.#links,
      this.#role,
      this.#bootstrap,
    );
  }

  /** Resolves once this peer is in the cluster; rejects on a fatal bootstrap error. */
  get joined(): Promise<void> {
    return this.#bootstrap.joined;
  }

  /** The cluster's state now. */
  status(): ClusterStatus {
    return this.#state.status();
  }

  /** The current membership, once joined. */
  membership(): ClusterMembership | undefined {
    return this.#state.membership;
  }

  /**
   * This peer's domain clock offset (domain minus session clock), with its
   * uncertainty; `undefined` before any estimate exists.
   */
  domainOffset(): { offsetNs: bigint; uncertaintyNs: bigint } | undefined {
    return this.#state.domainOffset();
  }

  /**
   * Registers join (open to all), membership, heartbeat and leave (members
   * only) and closes the membership gate to non-members.
   */
  async start(): Promise<void> {
    const components = this.#components;
    components.gate.restrict((peer) => this.#state.admits(peer));
    await components.node.handle(JOIN, this.#role.handleJoin, OVER_RELAYS);
    await handleGated(
      components,
      MEMBERSHIP,
      this.#election.handleMembership,
    );
    await handleGated(components, HEARTBEAT, this.#links.handleHeartbeat);
    await handleGated(components, LEAVE, this.#role.handleLeave);
  }

  /** Starts bootstrapping in the background, retrying transient failures. */
  afterStart(): void {
    const { node } = this.#components;
    (this.#components.reachable?.() ?? Promise.resolve()).then(() =>
      this.#bootstrap.run()
    );
    this.#timers.push(
      setInterval(() => this.#scan(), SCAN_INTERVAL_MS),
      setInterval(() => this.#links.dialMembers(), DIAL_INTERVAL_MS),
    );
    node.addEventListener("connection:open", this.#links.onConnection);
  }

  #scan(): void {
    const state = this.#state;
    if (state.membership === undefined || state.stopped) return;
    if (state.isManager) this.#role.watchMembers();
    else this.#election.watchManager();
  }

  /**
   * Tells the cluster this peer's addresses changed (a relay reservation was
   * made or lost): a Manager updates its own entry, gossips it and rotates
   * the Discovery row; a member sends the Manager a new join request, which
   * refreshes its entry and makes the Manager gossip it.
   */
  async readvertise(): Promise<void> {
    const state = this.#state;
    const addrs = state.context.advertised();
    // With no address left (the only relay is gone), keep the last ones:
    // they work again once the relay is back.
    if (
      state.membership === undefined || state.stopped || addrs.length === 0
    ) {
      return;
    }
    if (state.isManager) await this.#role.advertise(addrs);
    else await this.#bootstrap.advertise(addrs);
  }

  /**
   * Leaves: a member tells its Manager (`/auki/leave/0.0.1`, where the
   * Manager supports it), then heartbeats and timers stop, the cluster is
   * deregistered from Discovery when this peer is its Manager and last
   * member, and the handlers go. The gate stays closed: leaving opens
   * nothing to strangers.
   */
  async stop(): Promise<void> {
    const state = this.#state;
    if (state.stopped) return;
    state.stopped = true;
    const { node } = this.#components;
    await this.#leave();
    node.removeEventListener("connection:open", this.#links.onConnection);
    for (const timer of this.#timers) clearInterval(timer);
    this.#links.closeAll("leaving the cluster");
    await this.#role.stop();
    this.#bootstrap.abandon();
    await node.unhandle([JOIN, MEMBERSHIP, HEARTBEAT, LEAVE]);
  }

  /** A member's goodbye to its Manager; a Manager without a leave handler (Rust) evicts it instead. */
  async #leave(): Promise<void> {
    const state = this.#state;
    const manager = state.managerId;
    if (
      state.isManager || manager === "" || state.membership === undefined ||
      !isMember(state.membership, state.self) || !state.connected(manager)
    ) {
      return;
    }
    try {
      await sendLeave(this.#components.node, peerIdFromString(manager));
      state.log.info(`told the Manager ${manager} this peer leaves`);
    } catch (error) {
      state.log.debug(
        `the Manager ${manager} took no leave (${
          describe(error)
        }); it evicts this peer instead`,
      );
    }
  }
}
