/**
 * `deno task bench:export`: MCAP export and verification speed of a camera
 * log, and what the Foxglove server costs the agent.
 *
 *   (a) a 1280x720 rgb8 camera recorded at 30 Hz for 10 s by a real agent,
 *       exported from its storage (foxglove.RawImage, signed) and verified:
 *       MB/s of the file written and read, per wall-clock second and per
 *       CPU second of the exporting process (the wall clock suffers from
 *       whatever else the machine runs)
 *   (b) the agent's CPU share and resident memory with the simulated sensors
 *       over 10 s: Foxglove off, on but idle, and with a client subscribed
 *       to every channel
 *   (c) latency from a 1 kHz joint-encoder sample to a libp2p subscriber,
 *       p50/p99 (as `deno task bench` (c)): Foxglove off, on but idle, and
 *       with a Foxglove client subscribed to the joints
 *
 * Usage: deno task bench:export [--only a,b,c] [--seconds N]
 *
 * @module
 */
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { defaultSeedPath } from "../agent/config.ts";
import { writeExport } from "../agent/export/export.ts";
import { localSources } from "../agent/export/local_sources.ts";
import { SignedMcapWriter } from "../agent/export/signed_writer.ts";
import { verifyExport } from "../agent/export/verify.ts";
import {
  FOXGLOVE_SUBPROTOCOL,
  FoxgloveClient,
} from "../agent/foxglove/ws_protocol.ts";
import { loadOrCreateSeed } from "../agent/identity/seed_file.ts";
import { peerIdFromSeed, peerKeyFromSeed } from "../agent/identity/wallet.ts";
import { type AgentProcess, startAgent } from "./harness/agent_process.ts";
import { lastLine, type SubscriberResult } from "./bench/processes.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" }, seconds: { type: "string" } },
});
const only = new Set((values.only ?? "a,b,c").split(","));
const seconds = Number(values.seconds ?? 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds this process has used. */
function ownCpuSeconds(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1e6;
}

async function exportSpeed(): Promise<void> {
  const agent = await startAgent({
    args: ["--sim", "none"],
    config: {
      cache_mb: 64,
      sensors: [{
        driver: "sim.camera",
        id: "camera",
        width: 1280,
        height: 720,
        rate_hz: 30,
        retention_s: 120,
      }],
    },
  });
  const out = join(await Deno.makeTempDir(), "camera.mcap");
  try {
    await sleep(seconds * 1000);
    const seed = await loadOrCreateSeed(defaultSeedPath(agent.storage));
    const peerId = (await peerIdFromSeed(seed)).toString();
    const started = performance.now();
    const startedCpu = ownCpuSeconds();
    const writer = await SignedMcapWriter.create(out);
    const sources = await localSources(agent.storage, peerId, {
      resources: ["camera"],
    });
    const result = await writeExport(writer, sources);
    await writer.finish(await peerKeyFromSeed(seed), peerId);
    const exportS = (performance.now() - started) / 1000;
    const exportCpu = ownCpuSeconds() - startedCpu;
    const fileMb = (await Deno.stat(out)).size / 1e6;
    const verifyStarted = performance.now();
    const verifyStartedCpu = ownCpuSeconds();
    await verifyExport(out);
    const verifyS = (performance.now() - verifyStarted) / 1000;
    const verifyCpu = ownCpuSeconds() - verifyStartedCpu;
    const rate = (s: number) => `${(fileMb / s).toFixed(0)} MB/s`;
    console.log(
      `(a) export of a 1280x720 rgb8 camera log while the agent records: ${result.messages} frames, ${
        fileMb.toFixed(0)
      } MB in ${exportS.toFixed(2)} s = ${rate(exportS)} (${
        rate(exportCpu)
      } per CPU second); verify ${verifyS.toFixed(2)} s = ${rate(verifyS)} (${
        rate(verifyCpu)
      } per CPU second)`,
    );
  } finally {
    await agent.stop();
    await Deno.remove(join(out, ".."), { recursive: true });
  }
}

function cpuSeconds(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]
    .split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, ticks
}

function residentMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

type Mode = "off" | "idle" | "watching";

/** A Foxglove client subscribed to every channel of `agent`, counting messages. */
async function watch(
  agent: AgentProcess,
): Promise<{ client: FoxgloveClient; received: () => number }> {
  let url = "";
  for await (const item of Deno.readDir(agent.storage)) {
    if (item.name.startsWith("ready-")) {
      url = JSON.parse(
        await Deno.readTextFile(join(agent.storage, item.name)),
      ).foxglove;
    }
  }
  const client = new FoxgloveClient({
    ws: new WebSocket(url, [FOXGLOVE_SUBPROTOCOL]),
  });
  let received = 0;
  client.on("advertise", (channels) => {
    for (const c of channels) client.subscribe(c.id);
  });
  client.on("message", () => received++);
  return { client, received: () => received };
}

function foxgloveArgs(mode: Mode): string[] {
  return mode === "off" ? [] : ["--foxglove", "127.0.0.1:0"];
}

async function foxgloveCost(mode: Mode): Promise<string> {
  const agent = await startAgent({ args: foxgloveArgs(mode) });
  const watcher = mode === "watching" ? await watch(agent) : undefined;
  try {
    await sleep(3000);
    const cpu = cpuSeconds(agent.pid);
    const wall = performance.now();
    await sleep(seconds * 1000);
    const share = (cpuSeconds(agent.pid) - cpu) /
      ((performance.now() - wall) / 1000);
    return `${mode}: CPU ${(share * 100).toFixed(0)}% of a core, RSS ${
      residentMb(agent.pid).toFixed(0)
    } MiB${watcher ? `, ${watcher.received()} messages received` : ""}`;
  } finally {
    watcher?.client.close();
    await agent.stop();
  }
}

async function jointLatency(mode: Mode): Promise<string> {
  const agent = await startAgent({
    args: ["--sim", "none", ...foxgloveArgs(mode)],
    config: { sensors: [{ driver: "sim.joints", rate_hz: 1000 }] },
  });
  const watcher = mode === "watching" ? await watch(agent) : undefined;
  try {
    const result = await lastLine<SubscriberResult>("subscriber.ts", [
      agent.address.toString(),
      "sim_joints",
      String(seconds),
      "--latency",
    ]);
    const sorted = result.latency_ns.map(Number).sort((a, b) => a - b);
    const at = (p: number) =>
      (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] /
        1000).toFixed(0);
    return `${mode}: p50 ${at(0.5)} µs, p99 ${at(0.99)} µs${
      watcher ? ` (Foxglove got ${watcher.received()} messages)` : ""
    }`;
  } finally {
    watcher?.client.close();
    await agent.stop();
  }
}

if (only.has("a")) await exportSpeed();
if (only.has("b")) {
  const lines = [];
  for (const mode of ["off", "idle", "watching"] as const) {
    lines.push(await foxgloveCost(mode));
  }
  console.log(
    `(b) agent with the four simulated sensors, Foxglove ${lines.join("; ")}`,
  );
}
if (only.has("c")) {
  const lines = [];
  for (const mode of ["off", "idle", "watching"] as const) {
    lines.push(await jointLatency(mode));
  }
  console.log(
    `(c) 1 kHz joint sample to a libp2p subscriber, Foxglove ${
      lines.join("; ")
    }`,
  );
}
