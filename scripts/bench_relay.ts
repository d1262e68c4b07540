/**
 * `deno task bench:relay`: the relay benchmarks, between real processes on
 * loopback (a relay, an agent reserving on it, subscriber processes), each
 * figure measured through the relay and directly in the same run.
 *
 *   (a) camera stream throughput, 1920x1080 rgb8 (the best of a rate ladder)
 *   (b) latency from a 1 kHz joint-encoder sample to the subscriber, p50/p99
 *   (c) time until the agent is reachable through its circuit again after a
 *       kill -9 and restart of the relay, p50 over N runs
 *   (d) reservations per second the relay grants to new peers (each dials,
 *       handshakes and reserves; 20 at a time), and how long until the slots
 *       of peers that vanish are all free again
 *
 * Usage: deno task bench:relay [--only a,b,c,d] [--restarts N] [--peers N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { multiaddr } from "@multiformats/multiaddr";
import { requestInfo } from "../agent/protocols/info.ts";
import { withClient } from "../cli/client.ts";
import {
  type ClusterAgent,
  freePort,
  poll,
  type RelayProcess,
  spawnAgent,
  startRelay,
  stopAll,
  TempDirs,
} from "./harness/cluster.ts";
import { lastLine, mbps, type SubscriberResult } from "./bench/processes.ts";
import { HOP_STATUS, reserveOn, throwawayPeer } from "./harness/hop_reserve.ts";

const CAMERA_RATES_HZ = [10, 20, 30];

function percentile<T>(sorted: T[], p: number): T {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Runs `work` with a relay and an agent (direct and relayed addresses). */
async function withAgent<T>(
  sensors: unknown[],
  work: (paths: { direct: string; relayed: string }) => Promise<T>,
): Promise<T> {
  const dirs = new TempDirs();
  let relay: RelayProcess | undefined;
  let agent: ClusterAgent | undefined;
  try {
    relay = await startRelay(await dirs.make(), { port: freePort() });
    agent = await spawnAgent({
      label: "agent",
      storage: await dirs.make(),
      args: ["--relay", relay.address],
      config: { cache_mb: 64, sensors },
    });
    const ready = await agent.ready();
    const relayed = ready.multiaddrs.find((a) => a.includes("/p2p-circuit"));
    if (relayed === undefined) throw new Error("the agent holds no circuit");
    return await work({ direct: ready.multiaddrs[0], relayed });
  } finally {
    if (agent) await stopAll([agent]);
    await relay?.stop();
    await dirs.remove();
  }
}

async function cameraThroughput(
  address: (paths: { direct: string; relayed: string }) => string,
  rateHz: number,
): Promise<number> {
  return await withAgent([{
    driver: "sim.camera",
    width: 1920,
    height: 1080,
    rate_hz: rateHz,
    retention_s: 3,
  }], async (paths) =>
    mbps(
      await lastLine<SubscriberResult>("subscriber.ts", [
        address(paths),
        "sim_camera",
        "6",
      ]),
    ));
}

async function jointLatency(
  address: (paths: { direct: string; relayed: string }) => string,
): Promise<bigint[]> {
  return await withAgent(
    [{ driver: "sim.joints", rate_hz: 1000 }],
    async (paths) => {
      const result = await lastLine<SubscriberResult>("subscriber.ts", [
        address(paths),
        "sim_joints",
        "10",
        "--latency",
      ]);
      return result.latency_ns.map(BigInt).sort((a, b) =>
        a < b ? -1 : a > b ? 1 : 0
      );
    },
  );
}

/** Kills and restarts the relay `runs` times; the ms until the circuit answers again. */
async function reachableAfterRestart(runs: number): Promise<number[]> {
  const dirs = new TempDirs();
  const relayDir = await dirs.make();
  const port = freePort();
  let relay = await startRelay(relayDir, { port });
  const agent = await spawnAgent({
    label: "agent",
    storage: await dirs.make(),
    listen: "none",
    args: ["--relay", relay.address],
  });
  const times: number[] = [];
  try {
    const circuit = multiaddr((await agent.ready()).multiaddrs[0]);
    for (let i = 0; i < runs; i++) {
      await relay.kill();
      relay = await startRelay(relayDir, { port });
      const restarted = performance.now();
      await withClient(async (node) => {
        await poll(
          "the agent through the restarted relay",
          () => requestInfo(node, circuit),
          30_000,
        );
      });
      times.push(performance.now() - restarted);
    }
  } finally {
    await stopAll([agent]);
    await relay.stop();
    await dirs.remove();
  }
  return times;
}

/**
 * Reservations per second for `count` new peers, 20 at a time, and ms until
 * a relay allowing only `count` reservations takes a new one after they all
 * vanished.
 */
async function reservationRate(
  count: number,
): Promise<{ perSecond: number; freedMs: number }> {
  const dirs = new TempDirs();
  const relay = await startRelay(await dirs.make(), {
    port: freePort(),
    args: [
      "--max-reservations",
      String(count),
      "--max-reservations-per-ip",
      String(count),
    ],
  });
  const peers = await Promise.all(
    Array.from({ length: count }, () => throwawayPeer()),
  );
  const late = await throwawayPeer();
  try {
    const started = performance.now();
    for (let i = 0; i < count; i += 20) {
      const statuses = await Promise.all(
        peers.slice(i, i + 20).map((p) => reserveOn(p, relay.address)),
      );
      if (statuses.some((s) => s !== HOP_STATUS.OK)) {
        throw new Error(`a reservation was refused: ${statuses}`);
      }
    }
    const perSecond = count / ((performance.now() - started) / 1000);
    await Promise.all(peers.map((p) => p.stop()));
    const stopped = performance.now();
    await poll(
      "a free slot",
      async () =>
        await reserveOn(late, relay.address) === HOP_STATUS.OK || undefined,
    );
    return { perSecond, freedMs: performance.now() - stopped };
  } finally {
    await Promise.all([...peers, late].map((p) => p.stop()));
    await relay.stop();
    await dirs.remove();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", default: "a,b,c,d" },
      restarts: { type: "string", default: "5" },
      peers: { type: "string", default: "200" },
    },
  });
  const only = new Set(values.only!.split(","));
  if (only.has("a")) {
    const best = { direct: 0, relayed: 0 };
    const ladder: string[] = [];
    for (const rate of CAMERA_RATES_HZ) {
      const direct = await cameraThroughput((p) => p.direct, rate);
      const relayed = await cameraThroughput((p) => p.relayed, rate);
      ladder.push(
        `${rate} fps: ${direct.toFixed(1)} / ${relayed.toFixed(1)}`,
      );
      best.direct = Math.max(best.direct, direct);
      best.relayed = Math.max(best.relayed, relayed);
    }
    console.log(
      `(a) camera 1920x1080 rgb8, direct ${
        best.direct.toFixed(1)
      } MiB/s, through the relay ${best.relayed.toFixed(1)} MiB/s (${
        (100 * best.relayed / best.direct).toFixed(0)
      }%; ${ladder.join(", ")} MiB/s direct / relayed)`,
    );
  }
  if (only.has("b")) {
    const us = (ns: bigint) => (Number(ns) / 1000).toFixed(0);
    const line = (what: string, l: bigint[]) =>
      `${what} p50 ${us(percentile(l, 0.5))} us, p99 ${
        us(percentile(l, 0.99))
      } us`;
    const direct = await jointLatency((p) => p.direct);
    const relayed = await jointLatency((p) => p.relayed);
    console.log(
      `(b) 1 kHz joint sample to subscriber: ${line("direct", direct)}; ${
        line("through the relay", relayed)
      }`,
    );
  }
  if (only.has("c")) {
    const times = (await reachableAfterRestart(Number(values.restarts)))
      .sort((a, b) => a - b);
    console.log(
      `(c) reachable through the circuit after a relay kill -9 and restart: p50 ${
        percentile(times, 0.5).toFixed(0)
      } ms, max ${
        times[times.length - 1].toFixed(0)
      } ms over ${times.length} runs`,
    );
  }
  if (only.has("d")) {
    const peers = Number(values.peers);
    const { perSecond, freedMs } = await reservationRate(peers);
    console.log(
      `(d) relay reservations: ${
        perSecond.toFixed(0)
      }/s for ${peers} new peers (dial, handshake, reserve; 20 at a time); all ${peers} slots of vanished peers free again within ${
        freedMs.toFixed(0)
      } ms`,
    );
  }
}
