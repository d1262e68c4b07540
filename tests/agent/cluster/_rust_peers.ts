/**
 * Fake Rust peers for the cluster tests: small js-libp2p nodes that behave
 * like the shipped generation-A builds of `aukilabs/auki-sdk` where they
 * differ: a Manager that speaks only JSON (or only protobuf) joins and
 * resets the other encoding unanswered, one that gossips without
 * `manager_peer_id`, one that rejects with the runtime's temporary reasons
 * first, and none registers `/auki/leave/0.0.1`. Also the auki-edge side
 * under test: a {@link ClusterService} on its own node, and a Discovery.
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { encodeFrame, FrameReader } from "../../../core/codec/framing.ts";
import { jsonBytes } from "../../../core/codec/json.ts";
import type { WireEncoding } from "../../../core/codec/wire_encoding.ts";
import type { Logger } from "../../../core/logging.ts";
import { createNode } from "../../../agent/node.ts";
import { registerClocks } from "../../../agent/clocks/clocks.ts";
import { RegistryStore } from "../../../agent/registries/store.ts";
import { MembershipGate } from "../../../agent/protocols/gate.ts";
import {
  HEARTBEAT,
  JOIN,
  MEMBERSHIP,
  OVER_RELAYS,
} from "../../../agent/protocols/ids.ts";
import { ClusterService } from "../../../agent/cluster/cluster_service.ts";
import type { ClusterSettings } from "../../../agent/cluster/cluster_state.ts";
import { DiscoveryClient } from "../../../agent/cluster/discovery_client.ts";
import {
  type DiscoveryServer,
  startDiscoveryServer,
} from "../../../agent/cluster/discovery_server.ts";
import {
  decodeJoinRequest,
  encodeJoinAnswer,
  JOIN_LIMITS,
} from "../../../agent/cluster/join_protocol.ts";
import { MEMBERSHIP_LIMITS } from "../../../agent/cluster/membership_protocol.ts";
import { HEARTBEAT_LIMITS } from "../../../agent/cluster/heartbeat.ts";
import {
  type ClusterMember,
  type ClusterMembership,
  membershipJson,
} from "../../../agent/cluster/membership.ts";

/** How a fake Rust Manager behaves. */
export interface RustVariant {
  /** Join encodings it decodes; a request in another one is reset unanswered. */
  encodings: WireEncoding[];
  /** Whether its gossip carries `manager_peer_id` (older builds: not). */
  managerField: boolean;
  /** Reasons it rejects the first joins with, one per join. */
  rejects?: string[];
}

/** A node's dialable addresses, without `/p2p/`. */
export function addressesOf(node: Libp2p): string[] {
  return node.getMultiaddrs().map((a) =>
    a.toString().replace(/\/p2p\/[^/]+$/, "")
  );
}

/** Starts a libp2p node listening on loopback TCP. */
export async function startNode(): Promise<Libp2p> {
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
  });
  await node.start();
  return node;
}

/** A Rust Manager as the shipped builds behave, on its own node. */
export class FakeRustManager {
  /** Its node. */
  readonly node: Libp2p;
  /** Its peer id. */
  readonly peerId: string;
  /** The membership it keeps. */
  readonly membership: ClusterMembership;
  /** The encoding of every join request it received, answered or not. */
  readonly joins: WireEncoding[] = [];
  readonly #variant: RustVariant;
  readonly #rejects: string[];
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #nextTs = 1_733_836_800_000_000_000n;

  private constructor(node: Libp2p, cluster: string, variant: RustVariant) {
    this.node = node;
    this.peerId = node.peerId.toString();
    this.#variant = variant;
    this.#rejects = [...variant.rejects ?? []];
    this.membership = { cluster_name: cluster, peers: [] };
    this.membership.peers.push(this.#member(this.peerId, addressesOf(node)));
  }

  /** Starts a Manager of `cluster` registered in `discovery`. */
  static async start(
    discovery: DiscoveryServer,
    cluster: string,
    variant: RustVariant,
  ): Promise<FakeRustManager> {
    const manager = new FakeRustManager(await startNode(), cluster, variant);
    await manager.node.handle(
      JOIN,
      (stream, connection) =>
        manager.#onJoin(stream, connection.remotePeer.toString()),
      OVER_RELAYS,
    );
    await new DiscoveryClient(discovery.url).createCluster(
      cluster,
      manager.peerId,
      addressesOf(manager.node),
    );
    return manager;
  }

  #member(peerId: string, multiaddrs: string[]): ClusterMember {
    this.#nextTs += 1_000n;
    return {
      peer_id: peerId,
      multiaddrs,
      join_ts_ns: this.#nextTs,
      successor_token: [],
    };
  }

  async #onJoin(stream: Stream, peer: string): Promise<void> {
    const body = await new FrameReader(stream, JOIN_LIMITS).read();
    if (body === null) return stream.abort(new Error("no request"));
    const request = decodeJoinRequest(body);
    this.joins.push(request.encoding);
    if (!this.#variant.encodings.includes(request.encoding)) {
      // As a Rust Manager of the other era: the decode fails, the
      // substream is dropped without an answer.
      return stream.abort(
        new Error(`cannot decode a ${request.encoding} join`),
      );
    }
    const reason = this.#rejects.shift();
    if (reason !== undefined) {
      stream.send(encodeFrame(
        encodeJoinAnswer({ kind: "reject", reason }, request.encoding),
        JOIN_LIMITS,
      ));
      await stream.close().catch(() => {});
      return;
    }
    const existing = this.membership.peers.find((p) => p.peer_id === peer);
    if (existing !== undefined) existing.multiaddrs = request.multiaddrs;
    else this.membership.peers.push(this.#member(peer, request.multiaddrs));
    stream.send(encodeFrame(
      encodeJoinAnswer(
        { kind: "accept", membershipJson: membershipJson(this.membership) },
        request.encoding,
      ),
      JOIN_LIMITS,
    ));
    await stream.close().catch(() => {});
    if (existing === undefined) this.#heartbeat(peer);
    await this.gossip();
  }

  /** Opens the long-lived heartbeat substream to `peer` and writes every 500 ms. */
  async #heartbeat(peer: string): Promise<void> {
    const stream = await this.node.dialProtocol(
      peerIdFromString(peer),
      HEARTBEAT,
      OVER_RELAYS,
    );
    const write = () => {
      if (stream.status !== "open") return;
      // Older builds sent only `sent_at_unix_ns`.
      stream.send(encodeFrame(
        jsonBytes({ sent_at_unix_ns: BigInt(Date.now()) * 1_000_000n }),
        HEARTBEAT_LIMITS,
      ));
    };
    write();
    this.#timers.push(setInterval(write, 500));
    const reader = new FrameReader(stream, HEARTBEAT_LIMITS);
    reader.read().then(function drain(body): unknown {
      return body === null ? undefined : reader.read().then(drain);
    }).catch(() => {});
  }

  /** Sends the membership to every other member, as its variant writes it. */
  async gossip(): Promise<void> {
    const json = membershipJson(this.membership);
    const body: Record<string, string> = this.#variant.managerField
      ? { manager_peer_id: this.peerId, membership_json: json }
      : { membership_json: json };
    for (const p of this.membership.peers) {
      if (p.peer_id === this.peerId) continue;
      await sendRawMembership(this.node, p.peer_id, body).catch(() => {});
    }
  }

  /** Adds a member that is not a real peer (admitted elsewhere) and gossips. */
  async admit(peerId: string): Promise<void> {
    this.membership.peers.push(this.#member(peerId, []));
    await this.gossip();
  }

  /** Removes a member and gossips, as an eviction does. */
  async evict(peerId: string): Promise<void> {
    this.membership.peers = this.membership.peers.filter((p) =>
      p.peer_id !== peerId
    );
    await this.gossip();
  }

  /** Stops heartbeating and the node. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await this.node.stop();
  }
}

/** Writes one membership frame with `body` to `peer`, then closes. */
export async function sendRawMembership(
  node: Libp2p,
  peer: string,
  body: Record<string, string>,
): Promise<void> {
  const stream = await node.dialProtocol(peerIdFromString(peer), MEMBERSHIP, {
    signal: AbortSignal.timeout(5_000),
    ...OVER_RELAYS,
  });
  stream.send(encodeFrame(jsonBytes(body), MEMBERSHIP_LIMITS));
  await stream.close();
}

/** auki-edge's cluster membership on its own node, as the agent runs it. */
export interface EdgePeer {
  /** Its node. */
  node: Libp2p;
  /** Its cluster service (started). */
  service: ClusterService;
  /** The gate its cluster service restricts. */
  gate: MembershipGate;
  /** Leaves and stops the node. */
  stop(): Promise<void>;
}

/** Starts auki-edge's cluster service for `init` on a new node, bootstrapping. */
export async function startEdgePeer(
  init: Omit<ClusterSettings, "discovery"> & { discovery: string },
  logger: Logger,
): Promise<EdgePeer> {
  const node = await startNode();
  const peerId = node.peerId.toString();
  const clocks = await registerClocks(new RegistryStore(peerId), peerId, "t");
  const gate = new MembershipGate(logger);
  const service = new ClusterService(
    { ...init, discovery: new DiscoveryClient(init.discovery) },
    { node, gate, clocks, logger, advertised: () => addressesOf(node) },
  );
  await service.start();
  service.afterStart();
  return {
    node,
    service,
    gate,
    stop: async () => {
      await service.stop();
      await node.stop();
    },
  };
}

/** Runs `work` with a Discovery whose rows never expire. */
export async function withDiscovery(
  work: (discovery: DiscoveryServer) => Promise<void>,
): Promise<void> {
  const discovery = startDiscoveryServer({ ttlMs: 600_000 });
  try {
    await work(discovery);
  } finally {
    await discovery.stop();
  }
}
