/**
 * `deno task bench:cluster`: the cluster benchmarks, between real
 * `auki-edge run` processes and a Discovery process on loopback.
 *
 *   (a) process start to joined (the ready file, written once in the
 *       cluster), p50 over 10 joins of a running cluster; creating one too
 *   (b) failover after kill -9 of the Manager, p50 over 5 runs: until a
 *       survivor reports itself Manager (`/auki/info/0.0.1`) and Discovery
 *       names it
 *   (c) the error of a member's domain-clock offset estimate against the
 *       truth, both agents on this machine (their session clocks count the
 *       same CLOCK_MONOTONIC; the true offset comes from their session → UTC
 *       logs)
 *
 * Usage: deno task bench:cluster [--only a,b,c] [--joins N] [--failovers N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { requestInfo } from "../agent/protocols/info.ts";
import {
  asMember,
  type ClusterAgent,
  consistentMembership,
  infoOf,
  poll,
  rowOf,
  spawnAgent,
  startDiscovery,
  stopAll,
  TempDirs,
} from "./harness/cluster.ts";
import { abs, sessionOffset, timeEntries } from "./harness/clock_offsets.ts";

const ms = (x: number) => `${x.toFixed(0)} ms`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Spawns an agent and returns the time from spawn to its ready file. */
async function timedStart(
  options: Parameters<typeof spawnAgent>[0],
): Promise<{ agent: ClusterAgent; ms: number }> {
  const started = performance.now();
  const agent = await spawnAgent(options);
  await agent.ready(60_000);
  return { agent, ms: performance.now() - started };
}

async function startToJoined(
  dirs: TempDirs,
  url: string,
  runs: number,
): Promise<{ joins: number[]; creates: number[] }> {
  const joins: number[] = [];
  const creates: number[] = [];
  const manager = await timedStart({
    label: "manager",
    storage: await dirs.make(),
    discovery: url,
    cluster: "bench-join",
  });
  try {
    for (let i = 0; i < runs; i++) {
      const { agent, ms } = await timedStart({
        label: `joiner ${i}`,
        storage: await dirs.make(),
        discovery: url,
        cluster: "bench-join",
      });
      joins.push(ms);
      await stopAll([agent]);
    }
    for (let i = 0; i < Math.min(runs, 5); i++) {
      const { agent, ms } = await timedStart({
        label: `creator ${i}`,
        storage: await dirs.make(),
        discovery: url,
        cluster: `bench-create-${i}`,
      });
      creates.push(ms);
      await stopAll([agent]);
    }
  } finally {
    await stopAll([manager.agent]);
  }
  return { joins, creates };
}

async function failover(
  dirs: TempDirs,
  discovery: Awaited<ReturnType<typeof startDiscovery>>,
  run: number,
): Promise<number> {
  const cluster = `bench-failover-${run}`;
  const agents: ClusterAgent[] = [];
  try {
    for (const label of ["m", "s1", "s2"]) {
      const agent = await spawnAgent({
        label,
        storage: await dirs.make(),
        discovery: discovery.url,
        cluster,
      });
      agents.push(agent);
      await agent.ready(60_000);
    }
    const [manager, ...survivors] = agents;
    return await asMember(discovery.url, cluster, async (member) => {
      await consistentMembership(
        agents,
        cluster,
        [...agents.map((a) => a.peerId), member.peerId],
      );
      for (const agent of agents) await infoOf(member.node, agent);
      const killed = performance.now();
      await manager.kill();
      let reported: number | undefined;
      let rotated: number | undefined;
      await poll("a new Manager and the rotated row", async () => {
        if (reported === undefined) {
          for (const agent of survivors) {
            const info = await requestInfo(member.node, agent.address)
              .catch(() => undefined);
            if (info?.is_manager) reported = performance.now();
          }
        }
        if (rotated === undefined) {
          const row = await rowOf(discovery.client, cluster);
          if (
            row !== undefined && row.manager_peer_id !== manager.peerId
          ) rotated = performance.now();
        }
        return reported !== undefined && rotated !== undefined
          ? true
          : undefined;
      }, 30_000);
      return Math.max(reported!, rotated!) - killed;
    });
  } finally {
    await stopAll(agents);
  }
}

async function domainClockError(
  dirs: TempDirs,
  url: string,
  seconds: number,
): Promise<
  { errors: bigint[]; claimed: bigint[]; truthBound: bigint; within: number }
> {
  const agents: ClusterAgent[] = [];
  try {
    for (const label of ["backing", "estimating"]) {
      const agent = await spawnAgent({
        label,
        storage: await dirs.make(),
        discovery: url,
        cluster: "bench-clock",
      });
      agents.push(agent);
      await agent.ready(60_000);
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return await asMember(url, "bench-clock", async (member) => {
      const logs = [];
      for (const agent of agents) {
        const session = (await infoOf(member.node, agent)).session_clock_id;
        logs.push({
          utc: await timeEntries(
            member.node,
            agent,
            `${session}->${session.replace(/\/monotonic$/, "/utc")}`,
          ),
          domain: await timeEntries(
            member.node,
            agent,
            `${session}->bench-clock/domain-clock`,
          ),
        });
      }
      const [backing, estimating] = logs;
      // The creator's domain clock is its session clock (offset 0).
      const truth = sessionOffset(estimating.utc, backing.utc);
      const errors = estimating.domain.map((e) => abs(e.offsetNs - truth.ns));
      const within = estimating.domain.filter((e) =>
        abs(e.offsetNs - truth.ns) <= e.uncertaintyNs + truth.boundNs
      ).length;
      return {
        errors,
        claimed: estimating.domain.map((e) =>
          e.uncertaintyNs
        ),
        truthBound: truth.boundNs,
        within,
      };
    });
  } finally {
    await stopAll(agents);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", default: "a,b,c" },
      joins: { type: "string", default: "10" },
      failovers: { type: "string", default: "5" },
      "clock-seconds": { type: "string", default: "20" },
    },
  });
  const only = new Set(values.only!.split(","));
  const dirs = new TempDirs();
  const discovery = await startDiscovery(dirs);
  try {
    if (only.has("a")) {
      const { joins, creates } = await startToJoined(
        dirs,
        discovery.url,
        Number(values.joins),
      );
      console.log(
        `(a) process start to joined: p50 ${
          ms(percentile(joins, 0.5))
        } over ${joins.length} joins (min ${ms(Math.min(...joins))}, max ${
          ms(Math.max(...joins))
        }); creating a cluster: p50 ${
          ms(percentile(creates, 0.5))
        } over ${creates.length}`,
      );
    }
    if (only.has("b")) {
      const times: number[] = [];
      for (let i = 0; i < Number(values.failovers); i++) {
        times.push(await failover(dirs, discovery, i));
      }
      console.log(
        `(b) failover after kill -9 of the Manager (survivor reports itself Manager and Discovery rotated): p50 ${
          ms(percentile(times, 0.5))
        } over ${times.length} runs (${
          times.map((t) => t.toFixed(0)).join(", ")
        } ms; heartbeat timeout 1500 ms, target < 12 s)`,
      );
    }
    if (only.has("c")) {
      const seconds = Number(values["clock-seconds"]);
      const r = await domainClockError(dirs, discovery.url, seconds);
      const us = (ns: bigint) => (Number(ns) / 1000).toFixed(0);
      const sorted = (xs: bigint[]) =>
        [...xs].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
      const errors = sorted(r.errors);
      const claimed = sorted(r.claimed);
      console.log(
        `(c) domain-clock offset estimate error, 2 agents on one machine, ${r.errors.length} entries over ${seconds} s: p50 ${
          us(errors[Math.floor(errors.length / 2)])
        } us, max ${us(errors.at(-1)!)} us; claimed uncertainty p50 ${
          us(claimed[Math.floor(claimed.length / 2)])
        } us; ${r.within}/${r.errors.length} within their claim (truth known to ${
          us(r.truthBound)
        } us)`,
      );
    }
  } finally {
    await discovery.stop();
    await dirs.remove();
  }
}
