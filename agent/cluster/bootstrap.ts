/**
 * Entering a cluster (spec cluster.md 2): by the configured policy through
 * Discovery (create, join, join or create, most recent or create), retrying
 * transient failures with backoff; taking back a cluster Discovery still
 * names this peer Manager of; and joining again after an eviction.
 *
 * @module
 */
import type { PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr } from "@multiformats/multiaddr";
import { Backoff, retryWithBackoff, sleep } from "../../core/backoff.ts";
import { describe } from "../protocols/exchange.ts";
import type { ClusterState, ClusterTarget } from "./cluster_state.ts";
import { DiscoveryError } from "./discovery_client.ts";
import type { ClusterEntry } from "./discovery_types.ts";
import { askToJoin } from "./join_client.ts";
import { isTemporaryReject, type JoinAnswer } from "./join_protocol.ts";
import type { ManagerRole } from "./manager_role.ts";
import { isMember, parseMembership } from "./membership.ts";

const CONNECT_BUDGET_MS = 10_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/** A bootstrap failure that retrying cannot fix. */
export class ClusterBootstrapError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ClusterBootstrapError";
  }
}

/** How this peer gets into its cluster, the first time and after an eviction. */
export class Bootstrap {
  readonly #state: ClusterState;
  readonly #role: ManagerRole;
  readonly #joined = Promise.withResolvers<void>();

  /** Bootstrap of the cluster `state` describes; `role` is taken when creating. */
  constructor(state: ClusterState, role: ManagerRole) {
    this.#state = state;
    this.#role = role;
    this.#joined.promise.catch(() => {});
  }

  /** Resolves once this peer is in the cluster; rejects on a fatal bootstrap error. */
  get joined(): Promise<void> {
    return this.#joined.promise;
  }

  /** Rejects {@link joined} if it is still pending: the cluster was left first. */
  abandon(): void {
    this.#joined.reject(new Error("left the cluster before joining"));
  }

  /**
   * Bootstraps until in; the first time by the configured policy, later
   * (evicted, displaced) by joining this cluster again, or creating it anew
   * when its row is gone.
   */
  async run(
    target: ClusterTarget = this.#state.settings.target,
    name: string = this.#state.settings.name,
  ): Promise<void> {
    const state = this.#state;
    try {
      const done = await retryWithBackoff(
        async () => {
          await this.#bootstrap(target, name);
          return true;
        },
        new Backoff(RETRY_MIN_MS, RETRY_MAX_MS),
        (error, delayMs) => {
          if (error instanceof ClusterBootstrapError) return false;
          state.log.warn(
            `cannot enter cluster "${state.name}" yet: ${
              error instanceof DiscoveryError ? error.message : describe(error)
            }; retrying in ${delayMs / 1000} s`,
          );
          return true;
        },
        () => state.stopped,
      );
      if (done) this.#joined.resolve();
    } catch (error) {
      // Only a ClusterBootstrapError ends the retries.
      state.log.error((error as ClusterBootstrapError).message);
      this.#joined.reject(error);
    }
  }

  /** Leaves the membership this peer had and enters its cluster again. */
  rejoin(): void {
    const state = this.#state;
    state.membership = undefined;
    state.changed();
    this.run("join_or_create", state.name);
  }

  async #bootstrap(target: ClusterTarget, name: string): Promise<void> {
    const { discovery } = this.#state.settings;
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

  async #create(name: string, fatalIfTaken: boolean): Promise<void> {
    const state = this.#state;
    const outcome = await state.settings.discovery.createCluster(
      name,
      state.self,
      state.context.advertised(),
    );
    if (outcome.outcome === "already_exists") {
      if (fatalIfTaken) {
        throw new ClusterBootstrapError(
          `cluster "${name}" already exists in Discovery ${state.settings.discovery.baseUrl}; choose another name or use --target join_or_create`,
        );
      }
      throw new Error(
        `cluster "${name}" was created by another peer meanwhile`,
      );
    }
    state.name = name;
    state.relays = outcome.entry.relay_multiaddrs;
    this.#alone(name);
    this.#role.become(0n);
    state.changed();
    state.log.info(`created cluster "${name}" as its Manager`);
  }

  /** Makes this peer the only member of cluster `name`. */
  #alone(name: string): void {
    const state = this.#state;
    state.membership = {
      cluster_name: name,
      peers: [{
        peer_id: state.self,
        multiaddrs: state.context.advertised(),
        join_ts_ns: state.context.clocks.utc.now(),
        successor_token: [],
      }],
    };
  }

  async #join(entry: ClusterEntry): Promise<void> {
    const state = this.#state;
    const manager = peerIdFromString(entry.manager_peer_id);
    if (entry.manager_peer_id === state.self) {
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
    state.preAllowed.add(entry.manager_peer_id);
    try {
      await this.#connect(manager, entry.manager_multiaddrs);
      const answer = await askToJoin(
        state,
        entry.manager_peer_id,
        state.context.advertised(),
      );
      this.adopt(entry, answer);
    } finally {
      state.preAllowed.delete(entry.manager_peer_id);
    }
  }

  /**
   * Takes the membership a Manager's join answer gives, or fails with its
   * refusal: a temporary one (retried with backoff), or a definitive
   * {@link ClusterBootstrapError}.
   */
  adopt(entry: ClusterEntry, answer: JoinAnswer): void {
    const state = this.#state;
    if (answer.kind === "reject") {
      const message =
        `the Manager of "${entry.name}" refused to admit this peer: ${answer.reason}`;
      if (isTemporaryReject(answer.reason)) throw new Error(message);
      throw new ClusterBootstrapError(message);
    }
    const membership = parseMembership(answer.membershipJson);
    if (!isMember(membership, state.self)) {
      throw new Error(
        `the Manager of "${entry.name}" accepted but left this peer out`,
      );
    }
    state.name = entry.name;
    state.relays = entry.relay_multiaddrs;
    state.membership = membership;
    state.managerId = entry.manager_peer_id;
    state.isManager = false;
    state.lastSeen.set(state.managerId, Date.now());
    state.noteOtherMembers();
    state.changed();
    state.log.info(
      `joined cluster "${entry.name}" (${membership.peers.length} members, Manager ${entry.manager_peer_id})`,
    );
  }

  async #reclaim(entry: ClusterEntry): Promise<void> {
    const state = this.#state;
    this.#alone(entry.name);
    state.name = entry.name;
    state.relays = entry.relay_multiaddrs;
    await this.#role.register();
    this.#role.become(0n);
    state.changed();
    state.log.info(
      `Discovery still named this peer Manager of "${entry.name}"; took it back`,
    );
  }

  async #connect(peer: PeerId, addrs: string[]): Promise<void> {
    const { node } = this.#state.context;
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

  /**
   * Sends the Manager a new join request with this member's new addresses,
   * which refreshes its entry and makes the Manager gossip it.
   */
  async advertise(addrs: string[]): Promise<void> {
    const state = this.#state;
    const manager = state.managerId;
    try {
      const answer = await askToJoin(state, manager, addrs);
      if (state.stopped || state.isManager || state.managerId !== manager) {
        return;
      }
      this.adopt(state.entryOf(manager), answer);
      state.log.info(`advertised ${addrs.join(" ")} to the Manager`);
    } catch (error) {
      state.log.warn(
        `cannot advertise the new addresses to the Manager: ${describe(error)}`,
      );
    }
  }
}
