/**
 * `deno task bench:observe`: what observing the agent costs. The 1 kHz
 * joint-encoder latency to a subscriber (p50/p99) and the throughput of a
 * 1920x1080 rgb8 camera stream, each with the HTTP server off
 * (`--http none`), on but idle, and with the status page watching: a
 * client polling the way the page does (`/api/status` and `/healthz` every
 * second, `/api/view` twice a second, each camera's preview at 4 Hz) plus
 * a Prometheus scrape of `/metrics` every second. Each line also gives the
 * agent's CPU use during the measurement (from /proc, in % of one core),
 * which a loaded machine disturbs less than latencies. First, measured in
 * this process: what counting adds to each recorded sample, and what one
 * preview of a raw 1080p frame costs.
 *
 * Usage: deno task bench:observe [--seconds N] [--camera-hz N]
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startAgent } from "./harness/agent_process.ts";
import { lastLine, mbps, type SubscriberResult } from "./bench/processes.ts";
import { SensorStats } from "../agent/observe/sensor_stats.ts";
import { previewImage } from "../agent/http/preview.ts";
import { JpegEncoder } from "../agent/http/jpeg_encoder.ts";

/** The three ways the HTTP server runs. */
const MODES = ["off", "idle", "watching"] as const;
type Mode = typeof MODES[number];

/** Polls `base` the way the status page and a Prometheus server do until `signal` aborts; returns the requests made. */
async function watch(base: string, signal: AbortSignal): Promise<number> {
  let requests = 0;
  const poll = async (path: string, everyMs: number) => {
    while (!signal.aborted) {
      const started = performance.now();
      try {
        const response = await fetch(`${base}${path}`, { signal });
        await response.arrayBuffer();
        requests++;
      } catch {
        // Aborted at the end.
      }
      const wait = everyMs - (performance.now() - started);
      if (wait > 0 && !signal.aborted) {
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
  const view = await (await fetch(`${base}/api/view`)).json() as {
    cameras: { resource_id: string }[];
  };
  await Promise.all([
    poll("/api/status", 1000),
    poll("/healthz", 1000),
    poll("/metrics", 1000),
    poll("/api/view", 500),
    ...view.cameras.map((c) =>
      poll(`/api/preview/${encodeURIComponent(c.resource_id)}.jpg`, 250)
    ),
  ]);
  return requests;
}

/** CPU time (user plus system) process `pid` used so far, seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, in clock ticks
  // (USER_HZ, 100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs an agent with `sensors` in `mode`, and `measure` against it. */
async function withAgent<T>(
  sensors: unknown[],
  mode: Mode,
  measure: (address: string) => Promise<T>,
): Promise<{ result: T; requests: number; cpuPercent: number }> {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-bench-observe-" });
  const config = join(dir, "config.json");
  await Deno.writeTextFile(config, JSON.stringify({ sensors }));
  const agent = await startAgent({
    args: [
      "--config",
      config,
      "--storage",
      join(dir, "storage"),
      ...(mode === "off" ? ["--http", "none"] : []),
    ],
  });
  const stop = new AbortController();
  try {
    const watching = mode === "watching"
      ? watch(agent.http!, stop.signal)
      : Promise.resolve(0);
    const cpuBefore = await cpuSeconds(agent.pid);
    const started = performance.now();
    const result = await measure(agent.address.toString());
    const cpuPercent = 100 * (await cpuSeconds(agent.pid) - cpuBefore) /
      ((performance.now() - started) / 1000);
    stop.abort();
    return { result, requests: await watching, cpuPercent };
  } finally {
    stop.abort();
    await agent.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Nanoseconds per {@link SensorStats.record} call, the sample path's only added work. */
function recordCostNs(calls: number): number {
  const stats = new SensorStats();
  const started = performance.now();
  for (let i = 0; i < calls; i++) stats.record(26);
  const ns = (performance.now() - started) * 1e6 / calls;
  if (stats.samples !== calls) throw new Error("miscounted");
  return ns;
}

/**
 * Milliseconds per preview of a 1920x1080 rgb8 frame (medians of `runs`):
 * the downscale on the event loop, the JPEG encode on the worker.
 */
async function previewCostMs(
  runs: number,
): Promise<{ downscale: number; encode: number }> {
  const camera = {
    peer_id: "",
    sensor_id: "bench",
    type: "rgb",
    kind: "camera" as const,
    width: 1920,
    height: 1080,
    frame_rate_hz: 30,
    image_encoding: "raw",
    pixel_format: "rgb8",
    row_stride_bytes: 1920 * 3,
    color_space: "srgb",
    intrinsics_model: "pinhole",
    distortion_model: "plumb_bob",
    frame: { peer_id: "", id: "bench_link", hash: "0".repeat(32) },
  };
  const frame = new Uint8Array(1920 * 1080 * 3).map((_, i) => i * 7);
  const encoder = new JpegEncoder();
  const downscale: number[] = [];
  const encode: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const image = previewImage(camera, frame);
      const scaled = performance.now();
      if (image.kind !== "rgba") throw new Error("expected raw pixels");
      await encoder.encode(image.data, image.width, image.height, 70);
      downscale.push(scaled - started);
      encode.push(performance.now() - scaled);
    }
  } finally {
    encoder.close();
  }
  const median = (xs: number[]) =>
    xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { downscale: median(downscale), encode: median(encode) };
}

function percentile(sorted: bigint[], p: number): bigint {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "10" },
      "camera-hz": { type: "string", default: "30" },
    },
  });
  const seconds = values.seconds!;
  const us = (ns: bigint) => (Number(ns) / 1000).toFixed(0);
  recordCostNs(1e6);
  console.log(
    `counting a sample: ${
      recordCostNs(1e8).toFixed(2)
    } ns per sample (two number increments; a 1 kHz sensor has 1,000,000 ns per sample)`,
  );
  const preview = await previewCostMs(21);
  console.log(
    `one preview of a 1920x1080 rgb8 frame: downscale ${
      preview.downscale.toFixed(1)
    } ms on the event loop, JPEG encode ${
      preview.encode.toFixed(1)
    } ms on the worker (4 per second while the page is watched)`,
  );
  for (const mode of MODES) {
    const { result, requests, cpuPercent } = await withAgent(
      [{ driver: "sim.joints", rate_hz: 1000 }],
      mode,
      (address) =>
        lastLine<SubscriberResult>("subscriber.ts", [
          address,
          "sim_joints",
          seconds,
          "--latency",
        ]),
    );
    const sorted = result.latency_ns.map(BigInt).sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0
    );
    console.log(
      `1 kHz joints, HTTP ${mode}: p50 ${us(percentile(sorted, 0.5))} µs, p99 ${
        us(percentile(sorted, 0.99))
      } µs over ${sorted.length} samples, agent CPU ${cpuPercent.toFixed(0)}%${
        mode === "watching" ? ` (${requests} HTTP requests)` : ""
      }`,
    );
  }
  for (const mode of MODES) {
    const { result, requests, cpuPercent } = await withAgent(
      [{
        driver: "sim.camera",
        width: 1920,
        height: 1080,
        rate_hz: Number(values["camera-hz"]),
        retention_s: 3,
        cache_mb: 64,
      }],
      mode,
      (address) =>
        lastLine<SubscriberResult>("subscriber.ts", [
          address,
          "sim_camera",
          seconds,
        ]),
    );
    console.log(
      `camera 1920x1080 rgb8 at ${values["camera-hz"]} fps, HTTP ${mode}: ${
        mbps(result).toFixed(1)
      } MiB/s, ${
        (result.entries / result.seconds).toFixed(1)
      } frames/s, agent CPU ${cpuPercent.toFixed(0)}%${
        mode === "watching" ? ` (${requests} HTTP requests)` : ""
      }`,
    );
  }
}
