/**
 * auki-edge's cluster membership against fake Rust peers of each shipped
 * variant (tests/agent/cluster/_rust_peers.ts): gossip without
 * `manager_peer_id`, a JSON-only Manager that resets protobuf joins, a
 * forced `wire_encoding`, temporary rejects then an accept, a definitive
 * reject, the hand-over by "last write wins", and members leaving an
 * auki-edge Manager (with `/auki/leave/0.0.1`, or by closing) at info level.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { ClusterBootstrapError } from "../../../agent/cluster/bootstrap.ts";
import { requestJoin } from "../../../agent/cluster/join_protocol.ts";
import { membershipJson } from "../../../agent/cluster/membership.ts";
import { HEARTBEAT } from "../../../agent/protocols/ids.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { until } from "../../helpers/wait.ts";
import {
  addressesOf,
  FakeRustManager,
  type RustVariant,
  sendRawMembership,
  startEdgePeer,
  startNode,
  withDiscovery,
} from "./_rust_peers.ts";

const CLUSTER = "lab";
const CURRENT: RustVariant = {
  encodings: ["protobuf"],
  managerField: true,
};

async function strangerId(): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
}

/** Runs `work` with a fake Rust Manager of `variant` and auki-edge joining it. */
async function withRustCluster(
  variant: RustVariant,
  work: (
    manager: FakeRustManager,
    edge: Awaited<ReturnType<typeof startEdgePeer>>,
    logger: MemoryLogger,
  ) => Promise<void>,
  wireEncoding?: "protobuf" | "json",
): Promise<void> {
  await withDiscovery(async (discovery) => {
    const manager = await FakeRustManager.start(discovery, CLUSTER, variant);
    const logger = new MemoryLogger();
    const edge = await startEdgePeer({
      discovery: discovery.url,
      name: CLUSTER,
      target: "join",
      wireEncoding,
    }, logger);
    try {
      await work(manager, edge, logger);
    } finally {
      await edge.stop();
      await manager.stop();
    }
  });
}

Deno.test("cluster: gossip without manager_peer_id from the known Manager is taken", async () => {
  await withRustCluster(
    { ...CURRENT, managerField: false },
    async (manager, edge, logger) => {
      await edge.service.joined;
      const other = await strangerId();
      assert.equal(edge.gate.admits(other), false);
      await manager.admit(other);
      // A peer admitted by such a Manager passes the membership gate.
      await until(
        () => edge.gate.admits(other),
        "the gossiped member admitted",
      );
      await manager.evict(other);
      await until(() => !edge.gate.admits(other), "the eviction seen");
      assert.deepEqual(
        logger.lines.filter((l) => l.includes("membership update")),
        [],
      );
      // The same body from a peer that is not the Manager is dropped.
      const stranger = await startNode();
      try {
        const self = edge.node.peerId.toString();
        await stranger.peerStore.merge(edge.node.peerId, {
          multiaddrs: edge.node.getMultiaddrs(),
        });
        const forged = {
          cluster_name: CLUSTER,
          peers: [...manager.membership.peers, {
            peer_id: stranger.peerId.toString(),
            multiaddrs: [],
            join_ts_ns: 1n,
            successor_token: [],
          }],
        };
        // Admitted to the gate by the Manager first, so the update is read.
        await manager.admit(stranger.peerId.toString());
        await until(
          () => edge.gate.admits(stranger.peerId.toString()),
          "the stranger admitted",
        );
        await sendRawMembership(stranger, self, {
          membership_json: membershipJson(forged),
        });
        await until(
          () =>
            logger.lines.some((l) =>
              l.includes(
                "it names no Manager and its sender is not the Manager",
              )
            ),
          "the forged update dropped",
        );
        assert.equal(edge.service.status().managerPeerId, manager.peerId);
      } finally {
        await stranger.stop();
      }
    },
  );
});

Deno.test("cluster: a JSON-only Manager that resets protobuf joins is joined in JSON, remembered per Manager", async () => {
  await withRustCluster(
    { ...CURRENT, encodings: ["json"] },
    async (manager, edge, logger) => {
      await edge.service.joined;
      assert.deepEqual(manager.joins, ["protobuf", "json"]);
      assert.ok(
        logger.lines.includes(
          `INFO joining the Manager ${manager.peerId} with json requests`,
        ),
        logger.lines.join("\n"),
      );
      // The next join (new addresses) goes straight to JSON.
      await edge.service.readvertise();
      assert.deepEqual(manager.joins, ["protobuf", "json", "json"]);
      // And the member stays: heartbeats arrive, no election.
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(edge.service.status().managerPeerId, manager.peerId);
      assert.ok(!logger.lines.some((l) => l.includes("lost the Manager")));
    },
  );
});

Deno.test("cluster: a protobuf-only Manager is joined in protobuf at once", async () => {
  await withRustCluster(CURRENT, async (manager, edge, logger) => {
    await edge.service.joined;
    assert.deepEqual(manager.joins, ["protobuf"]);
    assert.ok(
      logger.lines.includes(
        `INFO joining the Manager ${manager.peerId} with protobuf requests`,
      ),
    );
  });
});

Deno.test("cluster: wire_encoding forces one encoding, without falling back", async () => {
  await withRustCluster(
    { ...CURRENT, encodings: ["json"] },
    async (manager, _edge, logger) => {
      await until(
        () => manager.joins.length >= 2,
        "two join attempts",
        8_000,
      );
      assert.deepEqual(manager.joins.slice(0, 2), ["protobuf", "protobuf"]);
      assert.ok(
        logger.lines.some((l) =>
          l.startsWith("WARN cannot enter cluster") &&
          l.includes("dropped the request without an answer")
        ),
        logger.lines.join("\n"),
      );
    },
    "protobuf",
  );
});

Deno.test("cluster: temporary join rejects are retried with backoff, then joined", async () => {
  const rejects = [
    "join handler timed out after 10s",
    "runtime: allow-list push failed",
  ];
  await withRustCluster(
    { ...CURRENT, rejects },
    async (manager, edge, logger) => {
      const started = Date.now();
      await edge.service.joined;
      // Backoff: 1 s after the first reject, 2 s after the second.
      assert.ok(Date.now() - started >= 3_000, `${Date.now() - started} ms`);
      assert.deepEqual(manager.joins.length, 3);
      const warnings = logger.lines.filter((l) =>
        l.startsWith("WARN cannot enter cluster")
      );
      assert.equal(warnings.length, 2);
      assert.match(
        warnings[0],
        /join handler timed out after 10s; retrying in 1 s/,
      );
      assert.match(
        warnings[1],
        /runtime: allow-list push failed; retrying in 2 s/,
      );
    },
  );
});

Deno.test("cluster: a definitive reject ends bootstrap with its reason", async () => {
  await withRustCluster(
    { ...CURRENT, rejects: ["wrong cluster"] },
    async (manager, edge) => {
      await assert.rejects(
        edge.service.joined,
        (error: Error) =>
          error instanceof ClusterBootstrapError &&
          error.message ===
            `the Manager of "${CLUSTER}" refused to admit this peer: wrong cluster`,
      );
      assert.equal(manager.joins.length, 1);
    },
  );
});

Deno.test("cluster: a member in the membership naming itself Manager takes over (last write wins)", async () => {
  await withRustCluster(CURRENT, async (manager, edge, logger) => {
    await edge.service.joined;
    const successor = await startNode();
    try {
      const self = edge.node.peerId.toString();
      const id = successor.peerId.toString();
      await successor.peerStore.merge(edge.node.peerId, {
        multiaddrs: edge.node.getMultiaddrs(),
      });
      await manager.admit(id);
      await until(() => edge.gate.admits(id), "the successor admitted");
      // The old Manager is alive and heartbeating; the update still wins.
      const handed = {
        cluster_name: CLUSTER,
        peers: manager.membership.peers.filter((p) =>
          p.peer_id !== manager.peerId
        ),
      };
      // Not in the membership it sends: dropped.
      await sendRawMembership(successor, self, {
        manager_peer_id: id,
        membership_json: membershipJson({
          ...handed,
          peers: handed.peers.filter((p) => p.peer_id !== id),
        }),
      });
      await until(
        () =>
          logger.lines.some((l) =>
            l.includes("its Manager is not in the membership it sends")
          ),
        "the update without its sender dropped",
      );
      assert.equal(edge.service.status().managerPeerId, manager.peerId);
      await sendRawMembership(successor, self, {
        manager_peer_id: id,
        membership_json: membershipJson(handed),
      });
      await until(
        () => edge.service.status().managerPeerId === id,
        "the hand-over taken",
      );
      assert.equal(edge.gate.admits(manager.peerId), false);
    } finally {
      await successor.stop();
    }
  });
});

Deno.test("cluster: short-lived members leave an auki-edge Manager at info level", async () => {
  await withDiscovery(async (discovery) => {
    const managerLog = new MemoryLogger();
    const manager = await startEdgePeer({
      discovery: discovery.url,
      name: CLUSTER,
      target: "create",
    }, managerLog);
    try {
      await manager.service.joined;
      // An auki-edge member leaves through /auki/leave/0.0.1.
      const member = await startEdgePeer({
        discovery: discovery.url,
        name: CLUSTER,
        target: "join",
      }, new MemoryLogger());
      await member.service.joined;
      const memberId = member.node.peerId.toString();
      await until(() => manager.gate.admits(memberId), "the member admitted");
      await member.stop();
      await until(
        () =>
          managerLog.lines.some((l) =>
            l.startsWith(`INFO ${memberId} left the cluster (1 members)`)
          ),
        "the leave seen",
      );
      assert.equal(manager.gate.admits(memberId), false);

      // A member without leave (as Rust's) that closes its heartbeat
      // stream and disconnects is gone at info level, not evicted.
      const rust = await startNode();
      const rustId = rust.peerId.toString();
      const heartbeat = Promise.withResolvers<void>();
      await rust.handle(HEARTBEAT, async (stream) => {
        await new Promise((r) => setTimeout(r, 300));
        await stream.close();
        heartbeat.resolve();
      });
      await rust.peerStore.merge(manager.node.peerId, {
        multiaddrs: manager.node.getMultiaddrs(),
      });
      const answer = await requestJoin(
        rust,
        manager.node.peerId,
        addressesOf(rust),
        { encoding: "json" },
      );
      assert.equal(answer.kind, "accept");
      await heartbeat.promise;
      // The Manager sees the stream end while the connection lives on.
      await new Promise((r) => setTimeout(r, 300));
      await rust.stop();
      await until(
        () =>
          managerLog.lines.some((l) =>
            l.startsWith(`INFO ${rustId} disconnected and is gone`)
          ),
        "the departure seen",
        5_000,
      );
      assert.deepEqual(
        managerLog.lines.filter((l) => l.startsWith("WARN")),
        [],
      );
    } finally {
      await manager.stop();
    }
  });
});
