/**
 * End to end on loopback: devices that listen nowhere (as behind NAT) form a
 * cluster through real relay processes. The Manager advertises its circuit
 * address and the relay to Discovery, members read each other's catalogs and
 * streams through the relay, `auki-edge status` shows the reservations, a
 * killed relay leaves the device reachable through the other, a restarted
 * relay is reserved on again within 10 s, a relay's data limit ends streams
 * with ConnectionLost, and bad or unreachable relays get clear errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import { multiaddr } from "@multiformats/multiaddr";
import { requestInfo } from "../../agent/protocols/info.ts";
import { Subscription } from "../../agent/protocols/stream_consumer.ts";
import type { AgentStatus } from "../../agent/status_file.ts";
import { withClient } from "../../cli/client.ts";
import { runCli } from "../../scripts/harness/agent_process.ts";
import {
  asMember,
  type ClusterAgent,
  consistentMembership,
  freePort,
  poll,
  type RelayProcess,
  rowOf,
  showLogs,
  spawnAgent,
  startDiscovery,
  startRelay,
  stopAll,
  TempDirs,
} from "../../scripts/harness/cluster.ts";
import { collect } from "./_helpers.ts";
import { requestResources } from "../../agent/protocols/resources.ts";

const CLUSTER = "behind-nat";

/** The agent's circuit address through `relay`, once its status shows it. */
function circuitVia(
  agent: ClusterAgent,
  relay: RelayProcess,
  timeoutMs = 10_000,
): Promise<string> {
  return poll(
    `a circuit of ${agent.label} on ${relay.address}`,
    async () =>
      (await statusOf(agent)).multiaddrs.find((a) =>
        a.startsWith(`${relay.address}/p2p-circuit/`)
      ),
    timeoutMs,
  );
}

/** The agent's status file, through `auki-edge status --json`. */
async function statusOf(agent: ClusterAgent): Promise<AgentStatus> {
  const result = await runCli(["status", "--storage", agent.storage, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as AgentStatus;
}

Deno.test("relay: devices behind NAT join, serve and stay reachable through relays", async (t) => {
  const dirs = new TempDirs();
  const agents: ClusterAgent[] = [];
  const relays: RelayProcess[] = [];
  const discovery = await startDiscovery(dirs);
  let ok = false;
  try {
    const relayDir = await dirs.make("auki-edge-relay-");
    const port1 = freePort();
    relays.push(await startRelay(relayDir, { port: port1 }));
    relays.push(await startRelay(await dirs.make(), { port: freePort() }));
    const [r1, r2] = relays;
    const relayArgs = ["--relay", r1.address, "--relay", r2.address];
    const manager = await spawnAgent({
      label: "manager",
      storage: await dirs.make(),
      discovery: discovery.url,
      cluster: CLUSTER,
      listen: "none",
      args: relayArgs,
    });
    agents.push(manager);
    await manager.ready();
    const device = await spawnAgent({
      label: "device",
      storage: await dirs.make(),
      discovery: discovery.url,
      cluster: CLUSTER,
      listen: "none",
      args: relayArgs,
    });
    agents.push(device);
    await device.ready();

    await t.step(
      "the Manager advertises its circuits and relays to Discovery",
      async () => {
        const row = await poll("both circuits in Discovery", async () => {
          const row = await rowOf(discovery.client, CLUSTER);
          return row?.manager_multiaddrs.length === 2 ? row : undefined;
        });
        assert.equal(row.manager_peer_id, manager.peerId);
        assert.deepEqual(
          [...row!.manager_multiaddrs].sort(),
          [
            `${r1.address}/p2p-circuit/p2p/${manager.peerId}`,
            `${r2.address}/p2p-circuit/p2p/${manager.peerId}`,
          ].sort(),
        );
        assert.deepEqual(
          [...row!.relay_multiaddrs].sort(),
          [
            r1.address,
            r2.address,
          ].sort(),
        );
      },
    );

    await t.step(
      "both join over relayed connections, in both directions",
      async () => {
        await consistentMembership([manager, device], CLUSTER, [
          manager.peerId,
          device.peerId,
        ]);
        await manager.waitForStderr(
          new RegExp(
            `auki-edge/net: peer ${device.peerId} connected through relay 12D3\\w+ \\(inbound`,
          ),
        );
        await device.waitForStderr(
          new RegExp(
            `auki-edge/net: peer ${manager.peerId} connected through relay 12D3\\w+ \\(outbound`,
          ),
        );
      },
    );

    await t.step(
      "a member reads the device's info, catalog and stream through the relay",
      async () => {
        const circuit = multiaddr(await circuitVia(device, r1));
        await asMember(discovery.url, CLUSTER, async ({ node }) => {
          const info = await poll(
            "the device to admit the member",
            () => requestInfo(node, circuit),
          );
          assert.equal(info.peer_id, device.peerId);
          assert.equal(info.manager_peer_id, manager.peerId);
          const rows = await requestResources(node, circuit);
          assert.ok(rows.some((r) => r.resource_id === "sim_joints"));
          const sub = await Subscription.open(node, circuit, {
            resourceId: "sim_joints",
          }, { timeoutMs: 10_000 });
          try {
            const entries = await collect(sub, 5);
            assert.equal(entries.length, 5);
          } finally {
            sub.close();
          }
        });
      },
    );

    await t.step(
      "auki-edge status shows each reservation with its circuit and expiry",
      async () => {
        await circuitVia(device, r2);
        const status = await statusOf(device);
        assert.equal(status.peer_id, device.peerId);
        assert.equal(status.cluster?.name, CLUSTER);
        assert.equal(status.relays.length, 2);
        for (const [i, relay] of [r1, r2].entries()) {
          const state = status.relays[i];
          assert.equal(state.relay, relay.address);
          assert.equal(state.state, "reserved");
          assert.deepEqual(state.circuits, [
            `${relay.address}/p2p-circuit/p2p/${device.peerId}`,
          ]);
          assert.ok(Date.parse(state.expires_at!) > Date.now());
        }
        const text = await runCli(["status", "--storage", device.storage]);
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /reserved until \d{4}-/);
      },
    );

    await t.step(
      "kill -9 of a relay: the device is reachable through the other within 10 s",
      async () => {
        const circuit = multiaddr(await circuitVia(device, r2));
        await r1.kill();
        const killed = Date.now();
        await asMember(discovery.url, CLUSTER, async ({ node }) => {
          const info = await poll(
            "the device through the second relay",
            () => requestInfo(node, circuit),
            10_000,
          );
          assert.equal(info.peer_id, device.peerId);
        });
        console.error(
          `reachable through the second relay ${
            Date.now() - killed
          } ms after the kill`,
        );
        await poll(
          "the status to show the lost reservation",
          async () =>
            (await statusOf(device)).relays[0].state !== "reserved" ||
            undefined,
        );
      },
    );

    await t.step(
      "the relay restarted: reserved again and reachable through it within 10 s",
      async () => {
        relays[0] = await startRelay(relayDir, { port: port1 });
        const restarted = Date.now();
        const circuit = multiaddr(await circuitVia(device, r1));
        // The cluster may still be settling; the gate admits the member once
        // the Manager's gossip reached the device.
        await asMember(discovery.url, CLUSTER, async (member) => {
          const info = await poll(
            "the device through the restarted relay",
            () => requestInfo(member.node, circuit),
            10_000,
          );
          assert.equal(info.peer_id, device.peerId);
        });
        const took = Date.now() - restarted;
        console.error(`reachable through the restarted relay in ${took} ms`);
        assert.ok(took < 10_000, `reachable again in ${took} ms`);
        await consistentMembership([manager, device], CLUSTER, [
          manager.peerId,
          device.peerId,
        ]);
      },
    );
    ok = true;
  } finally {
    if (!ok) {
      showLogs(agents, discovery);
      for (const relay of relays) {
        console.error(`--- relay:\n${relay.stderr()}`);
      }
    }
    await stopAll(agents);
    for (const relay of relays) await relay.stop();
    await discovery.stop();
    await dirs.remove();
  }
});

Deno.test("relay: a relay's data limit ends streams with ConnectionLost; the agent keeps serving", async () => {
  const dirs = new TempDirs();
  const relay = await startRelay(await dirs.make(), {
    port: freePort(),
    args: ["--max-data", "65536"],
  });
  const agent = await spawnAgent({
    label: "camera",
    storage: await dirs.make(),
    listen: "none",
    args: ["--relay", relay.address],
    config: {
      cache_mb: 4,
      sensors: [{ driver: "sim.camera", width: 64, height: 48 }],
    },
  });
  let ok = false;
  try {
    await agent.ready();
    const circuit = multiaddr(await circuitVia(agent, relay));
    await withClient(async (node) => {
      // Protocols run on the limited connection.
      const rows = await poll(
        "the catalog through the limited relay",
        () => requestResources(node, circuit),
      );
      assert.ok(rows.some((r) => r.resource_id === "sim_camera"));
      const sub = await Subscription.open(node, circuit, {
        resourceId: "sim_camera",
      }, { timeoutMs: 10_000 });
      let received = 0;
      for await (const _ of sub.entries(AbortSignal.timeout(30_000))) {
        received++;
      }
      assert.equal(sub.end?.kind, "connectionLost");
      assert.ok(received > 0 && received * 64 * 48 * 3 < 65_536 * 2);
    });
    await agent.waitForStderr(
      /auki-edge\/net: peer \w+ connected through relay \w+ \(inbound, limited to \d+ bytes/,
    );
    // A new circuit carries a new budget: the agent still serves.
    await withClient(async (node) => {
      const rows = await poll(
        "the catalog again",
        () => requestResources(node, circuit),
      );
      assert.ok(rows.length > 0);
    });
    assert.ok(!agent.exited());
    ok = true;
  } finally {
    if (!ok) {
      showLogs([agent]);
      console.error(`--- relay:\n${relay.stderr()}`);
    }
    await stopAll([agent]);
    await relay.stop();
    await dirs.remove();
  }
});

Deno.test("relay: a bad --relay exits 2 naming the flag, status without an agent exits 1, an unreachable relay is retried while the agent serves", async () => {
  const bad = await runCli(["run", "--relay", "/ip4/127.0.0.1/tcp/4002"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr.trim(),
    /^auki-edge run: --relay: "\/ip4\/127.0.0.1\/tcp\/4002" must be a TCP address ending in \/p2p\/<relay peer id>/,
  );
  const dirs = new TempDirs();
  const nowhere = await runCli(["run", "--listen", "none"]);
  assert.equal(nowhere.code, 2);
  assert.match(
    nowhere.stderr.trim(),
    /^auki-edge run: --listen: listening nowhere needs at least one --relay/,
  );
  const nobody = await runCli(["status", "--storage", await dirs.make()]);
  assert.equal(nobody.code, 1);
  assert.match(nobody.stderr, /^status: no agent is running on storage /);
  const dead =
    `/ip4/127.0.0.1/tcp/${freePort()}/p2p/12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw`;
  const agent = await spawnAgent({
    label: "lonely",
    storage: await dirs.make(),
    args: ["--relay", dead],
  });
  let ok = false;
  try {
    await agent.ready();
    await agent.waitForStderr(
      `WARN  auki-edge/relay: cannot reserve on relay ${dead}:`,
    );
    await agent.waitForStderr(/retrying in 2 s/);
    // Between attempts (an attempt against a closed port takes a moment).
    const waiting = await poll(
      "the relay to wait for its next attempt",
      async () => {
        const [relay] = (await statusOf(agent)).relays;
        return relay.state === "waiting" ? relay : undefined;
      },
    );
    assert.match(waiting.error!, /.+/);
    assert.ok(Date.parse(waiting.retry_at!) > 0);
    await withClient(async (node) => {
      const rows = await requestResources(node, agent.address);
      assert.ok(rows.length > 0);
    });
    ok = true;
  } finally {
    if (!ok) showLogs([agent]);
    await stopAll([agent]);
    await dirs.remove();
  }
});
