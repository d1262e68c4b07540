/**
 * End to end across network namespaces: a relay and a Discovery server in
 * the root namespace, reachable from two namespaces that cannot reach each
 * other (no route between them, no forwarding). The Manager and the
 * consumers live in one, a device in the other joins the cluster (both
 * reserve on the relay and advertise their circuits), and its
 * catalog and stream are read through the relay; the relay is killed and
 * started again, and the device is reachable within 10 s.
 *
 * Needs root (or CAP_NET_ADMIN) for `ip netns` and veth pairs; skipped with
 * a clear message where the sandbox forbids them.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli } from "../../scripts/harness/agent_process.ts";
import {
  type ClusterAgent,
  consistentMembership,
  poll,
  type RelayProcess,
  showLogs,
  spawnAgent,
  startDiscovery,
  startRelay,
  stopAll,
  TempDirs,
} from "../../scripts/harness/cluster.ts";

const TAG = `ae${Deno.pid % 100_000}`;
const NS_A = `${TAG}a`;
const NS_B = `${TAG}b`;
/** The relay's and Discovery's address in the root namespace. */
const HUB = "10.231.0.1";
const A_ADDR = "10.231.1.2";
const B_ADDR = "10.231.2.2";
const RELAY_PORT = 4802;
const DISCOVERY_PORT = 4803;
const CLUSTER = "netns";

function ip(...args: string[]): { ok: boolean; error: string } {
  const out = new Deno.Command("ip", {
    args,
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  return {
    ok: out.success,
    error: new TextDecoder().decode(out.stderr).trim(),
  };
}

function must(...args: string[]): void {
  const result = ip(...args);
  if (!result.ok) throw new Error(`ip ${args.join(" ")}: ${result.error}`);
}

/** Whether this sandbox lets the test make namespaces; the reason when not. */
function netnsUnavailable(): string | undefined {
  try {
    const probe = `${TAG}probe`;
    const added = ip("netns", "add", probe);
    if (!added.ok) return `ip netns add failed: ${added.error}`;
    ip("netns", "del", probe);
    return undefined;
  } catch (error) {
    return `cannot run ip: ${error instanceof Error ? error.message : error}`;
  }
}

/** Builds the two namespaces and the hub address; returns the teardown. */
function buildTopology(): () => void {
  const teardown = () => {
    ip("netns", "del", NS_A);
    ip("netns", "del", NS_B);
    ip("addr", "del", `${HUB}/32`, "dev", "lo");
  };
  try {
    must("addr", "add", `${HUB}/32`, "dev", "lo");
    for (
      const [ns, side, net] of [[NS_A, "a", "1"], [NS_B, "b", "2"]] as const
    ) {
      const host = `${TAG}${side}h`;
      const inner = `${TAG}${side}n`;
      must("netns", "add", ns);
      must("link", "add", host, "type", "veth", "peer", "name", inner);
      must("link", "set", inner, "netns", ns);
      must("addr", "add", `10.231.${net}.1/24`, "dev", host);
      must("link", "set", host, "up");
      must("-n", ns, "addr", "add", `10.231.${net}.2/24`, "dev", inner);
      must("-n", ns, "link", "set", inner, "up");
      must("-n", ns, "link", "set", "lo", "up");
      // Only the hub is routed: the other namespace has no route at all.
      must("-n", ns, "route", "add", `${HUB}/32`, "via", `10.231.${net}.1`);
    }
  } catch (error) {
    teardown();
    throw error;
  }
  return teardown;
}

const unavailable = netnsUnavailable();

Deno.test({
  name:
    `relay across network namespaces: a device joins and is read through the relay${
      unavailable ? ` (skipped: ${unavailable})` : ""
    }`,
  ignore: unavailable !== undefined,
  fn: async (t) => {
    const teardown = buildTopology();
    const dirs = new TempDirs();
    const agents: ClusterAgent[] = [];
    let relay: RelayProcess | undefined;
    let discovery: Awaited<ReturnType<typeof startDiscovery>> | undefined;
    let ok = false;
    try {
      const relayDir = await dirs.make("auki-edge-relay-");
      relay = await startRelay(relayDir, { port: RELAY_PORT, host: HUB });
      discovery = await startDiscovery(dirs, {
        port: DISCOVERY_PORT,
        host: HUB,
      });
      const manager = await spawnAgent({
        label: "manager (A)",
        storage: await dirs.make(),
        discovery: discovery.url,
        cluster: CLUSTER,
        netns: NS_A,
        listen: `/ip4/${A_ADDR}/tcp/0`,
        args: ["--relay", relay.address],
      });
      agents.push(manager);
      await manager.ready();
      const device = await spawnAgent({
        label: "device (B)",
        storage: await dirs.make(),
        discovery: discovery.url,
        cluster: CLUSTER,
        netns: NS_B,
        listen: `/ip4/${B_ADDR}/tcp/0`,
        args: ["--relay", relay.address],
      });
      agents.push(device);
      const circuit = `${relay.address}/p2p-circuit/p2p/`;

      await t.step("A cannot reach B directly", () => {
        const reach = new Deno.Command("ip", {
          args: [
            "netns",
            "exec",
            NS_A,
            "bash",
            "-c",
            `exec 3<>/dev/tcp/${B_ADDR}/9`,
          ],
          stdout: "null",
          stderr: "piped",
        }).outputSync();
        assert.equal(reach.success, false);
        assert.match(
          new TextDecoder().decode(reach.stderr),
          /unreachable/i,
        );
      });

      await t.step(
        "the device joins the Manager's cluster through the relay",
        async () => {
          const ready = await device.ready();
          assert.ok(
            ready.multiaddrs.some((a) => a.startsWith(circuit)),
            `advertises its circuit: ${ready.multiaddrs.join(" ")}`,
          );
          await consistentMembership([manager, device], CLUSTER, [
            manager.peerId,
            device.peerId,
          ]);
          await device.waitForStderr(
            `peer ${manager.peerId} connected through relay ${relay!.peerId}`,
          );
        },
      );

      const read = async () => {
        const target = `${circuit}${device.peerId}`;
        const catalog = await runCli([
          "catalog",
          target,
          "--json",
          "--discovery",
          discovery!.url,
          "--cluster",
          CLUSTER,
        ], { netns: NS_A, timeoutMs: 30_000 });
        assert.equal(catalog.code, 0, catalog.stderr);
        assert.match(catalog.stdout, /"sim_joints"/);
        const stream = await runCli([
          "subscribe",
          target,
          "sim_joints",
          "--count",
          "3",
          "--json",
          "--discovery",
          discovery!.url,
          "--cluster",
          CLUSTER,
        ], { netns: NS_A, timeoutMs: 30_000 });
        assert.equal(stream.code, 0, stream.stderr);
        assert.equal(stream.stdout.trim().split("\n").length, 3);
      };

      await t.step(
        "a consumer in A reads the device's catalog and stream through the relay",
        read,
      );

      await t.step(
        "the relay killed and started again: the device is reachable within 10 s",
        async () => {
          await relay!.kill();
          relay = await startRelay(relayDir, { port: RELAY_PORT, host: HUB });
          const restarted = Date.now();
          await poll(
            "the device to reserve again",
            async () => {
              const status = JSON.parse(
                await Deno.readTextFile(`${device.storage}/status.json`),
              );
              return status.relays[0].state === "reserved" || undefined;
            },
            10_000,
          );
          await consistentMembership([manager, device], CLUSTER, [
            manager.peerId,
            device.peerId,
          ], 10_000);
          const took = Date.now() - restarted;
          console.error(`device reachable ${took} ms after the relay restart`);
          assert.ok(took < 10_000, `${took} ms`);
          await read();
        },
      );
      ok = true;
    } finally {
      if (!ok) {
        showLogs(agents, discovery);
        if (relay) console.error(`--- relay:\n${relay.stderr()}`);
      }
      await stopAll(agents);
      await relay?.stop();
      await discovery?.stop();
      await dirs.remove();
      teardown();
    }
  },
});

const NS_P = `${TAG}p`;
/** Public-looking addresses (DCUtR ignores private ones), in a namespace of their own. */
const P_RELAY = "11.231.9.1";
const P_DEVICE = "11.231.9.2";
const P_CONSUMER = "11.231.9.3";
const CONSUMER = new URL("./_dcutr_consumer.ts", import.meta.url).pathname;

Deno.test({
  name: `relay: DCUtR upgrades a relayed connection where a direct path exists${
    unavailable ? ` (skipped: ${unavailable})` : ""
  }`,
  ignore: unavailable !== undefined,
  fn: async () => {
    const dirs = new TempDirs();
    let relay: RelayProcess | undefined;
    let device: ClusterAgent | undefined;
    let ok = false;
    try {
      must("netns", "add", NS_P);
      must("-n", NS_P, "link", "set", "lo", "up");
      for (const addr of [P_RELAY, P_DEVICE, P_CONSUMER]) {
        must("-n", NS_P, "addr", "add", `${addr}/32`, "dev", "lo");
      }
      relay = await startRelay(await dirs.make("auki-edge-relay-"), {
        port: RELAY_PORT,
        host: P_RELAY,
        netns: NS_P,
      });
      device = await spawnAgent({
        label: "device",
        storage: await dirs.make(),
        netns: NS_P,
        listen: `/ip4/${P_DEVICE}/tcp/0`,
        args: ["--relay", relay.address],
      });
      await device.ready();
      const circuit = `${relay.address}/p2p-circuit/p2p/${device.peerId}`;
      // The consumer knows only the circuit address, so it dials through
      // the relay; the device then punches through to a direct connection.
      const consumer = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          NS_P,
          Deno.execPath(),
          "run",
          "--allow-all",
          CONSUMER,
          `/ip4/${P_CONSUMER}/tcp/0`,
          circuit,
        ],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const out = await consumer;
      const decoder = new TextDecoder();
      assert.equal(out.code, 0, decoder.decode(out.stderr));
      const report = JSON.parse(decoder.decode(out.stdout)) as {
        firstEnd: string;
        paths: string[];
        resumed: number;
      };
      assert.equal(report.firstEnd, "connectionLost");
      assert.ok(
        report.paths.length > 0 &&
          report.paths.every((p) => !p.includes("/p2p-circuit")),
        `direct paths only: ${report.paths.join(" ")}`,
      );
      assert.equal(report.resumed, 20);
      await device.waitForStderr(
        new RegExp(`connected through relay ${relay.peerId} \\(inbound`),
      );
      await device.waitForStderr(
        new RegExp(
          `upgraded from the relay to a direct connection at /ip4/11\\.231\\.9\\.\\d/tcp/\\d+`,
        ),
      );
      ok = true;
    } finally {
      if (!ok) {
        if (device) showLogs([device]);
        if (relay) console.error(`--- relay:\n${relay.stderr()}`);
      }
      if (device) await stopAll([device]);
      await relay?.stop();
      await dirs.remove();
      ip("netns", "del", NS_P);
    }
  },
});
