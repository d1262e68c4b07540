/**
 * `deno task soak [--minutes N] [--interval S] [--warm-up M]`: runs an agent
 * with every simulated sensor and one `auki-edge subscribe` process per sensor
 * (with `--json`, but for the camera, whose frames are summarised), and prints
 * the agent's and each subscriber's RSS (and the part of it that is V8's
 * heap), open file descriptors and entry rates over time; at the end, after a
 * warm-up (by default a fifth of the run, at most 1 minute), the slopes
 * (MiB/min, descriptors/min) of the RSS, of the heap and of the memory outside
 * the heap, and the RSS range. Flat is within ±1 MiB/min. Every process runs
 * under `soak/memory_probe.ts`, which reads `Deno.memoryUsage()` from inside.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startAgent } from "./harness/agent_process.ts";
import { afterWarmUp, type Sample, slopePerMinute } from "./soak/trend.ts";
import { lastMemorySample } from "./soak/memory_probe.ts";
import { SIM_KINDS } from "../drivers/registry.ts";

const PROBE = new URL("./soak/memory_probe.ts", import.meta.url).pathname;
const MIB = 1024 * 1024;

/** The resource id of each simulated sensor (each driver's default id). */
const RESOURCES = ["sim_camera", "sim_lidar", "sim_uwb", "sim_joints"];

/** A process under watch: its samples over time. */
interface Watched {
  label: string;
  pid: number;
  /** Where its memory probe writes. */
  probe: string;
  /** Resident memory, MiB. */
  rss: Sample[];
  /** V8's heap (`heapTotal`), MiB. */
  heap: Sample[];
  /** Resident memory outside V8's heap, MiB. */
  outside: Sample[];
  fds: Sample[];
}

/** A running `subscribe` process and how many entries it printed. */
interface Subscriber extends Watched {
  lines: number;
  child: Deno.ChildProcess;
}

async function openFds(pid: number): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  return count;
}

/** A watched process's samples, none yet. */
function watch(label: string, pid: number, probe: string): Watched {
  return { label, pid, probe, rss: [], heap: [], outside: [], fds: [] };
}

function subscribe(
  address: string,
  resource: string,
  probe: string,
): Subscriber {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      PROBE,
      probe,
      "subscribe",
      address,
      resource,
      ...(resource === "sim_camera" ? [] : ["--json"]),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const subscriber: Subscriber = {
    ...watch(resource, child.pid, probe),
    lines: 0,
    child,
  };
  (async () => {
    for await (const chunk of child.stdout) {
      for (const byte of chunk) if (byte === 10) subscriber.lines++;
    }
  })();
  return subscriber;
}

async function sample(watched: Watched, minutes: number): Promise<void> {
  const memory = await lastMemorySample(watched.probe);
  if (memory !== undefined) {
    watched.rss.push({ minutes, value: memory.rss / MIB });
    watched.heap.push({ minutes, value: memory.heapTotal / MIB });
    watched.outside.push({
      minutes,
      value: (memory.rss - memory.heapTotal) / MIB,
    });
  }
  watched.fds.push({ minutes, value: await openFds(watched.pid) });
}

/** A slope with its sign, two decimals. */
function signed(slope: number): string {
  return `${slope >= 0 ? "+" : ""}${slope.toFixed(2)}`;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "10" },
    interval: { type: "string", default: "15" },
    "warm-up": { type: "string" },
  },
});
const minutes = Number(values.minutes);
const intervalS = Number(values.interval);
const warmUp = values["warm-up"] === undefined
  ? Math.min(1, minutes / 5)
  : Number(values["warm-up"]);
if (!(minutes > 0) || !(intervalS > 0) || !(warmUp >= 0 && warmUp < minutes)) {
  console.error(
    "soak: --minutes and --interval must be positive numbers, --warm-up a number of minutes shorter than the run",
  );
  Deno.exit(2);
}
console.log(
  `soak: ${
    Object.values(SIM_KINDS).join(", ")
  } for ${minutes} min, a sample every ${intervalS} s`,
);
const probes = await Deno.makeTempDir({ prefix: "auki-edge-soak-" });
const agentProbe = join(probes, "agent.jsonl");
const agent = await startAgent({
  command: [Deno.execPath(), "run", "--allow-all", PROBE, agentProbe],
});
const agentWatch = watch("agent", agent.pid, agentProbe);
const subscribers = RESOURCES.map((r) =>
  subscribe(agent.address.toString(), r, join(probes, `${r}.jsonl`))
);
try {
  const started = performance.now();
  let lastLines = subscribers.map(() => 0);
  let lastAt = started;
  for (let n = 0;; n++) {
    const due = started + n * intervalS * 1000;
    await new Promise((r) =>
      setTimeout(r, Math.max(0, due - performance.now()))
    );
    const now = performance.now();
    const elapsed = (now - started) / 60_000;
    for (const watched of [agentWatch, ...subscribers]) {
      await sample(watched, elapsed);
    }
    const rates = subscribers.map((s, i) =>
      n === 0 ? 0 : (s.lines - lastLines[i]) / ((now - lastAt) / 1000)
    );
    lastLines = subscribers.map((s) => s.lines);
    lastAt = now;
    const mib = (samples: Sample[]) => samples.at(-1)?.value.toFixed(1) ?? "-";
    const last = (w: Watched) =>
      `${mib(w.rss)} MiB (heap ${mib(w.heap)}) ${w.fds.at(-1)!.value} fds`;
    console.log(
      `t=${(elapsed * 60).toFixed(0).padStart(4)}s agent ${
        last(agentWatch)
      } | ${
        subscribers.map((s, i) =>
          `${s.label} ${rates[i].toFixed(0)}/s ${last(s)}`
        ).join(" | ")
      }`,
    );
    if (elapsed >= minutes) break;
  }
  console.log(
    `slopes after ${
      warmUp.toFixed(2)
    } min of warm-up (RSS = V8 heap + outside it):`,
  );
  for (const watched of [agentWatch, ...subscribers]) {
    const slope = (samples: Sample[]) =>
      signed(slopePerMinute(afterWarmUp(samples, warmUp)));
    const rss = afterWarmUp(watched.rss, warmUp).map((s) => s.value);
    console.log(
      `  ${watched.label.padEnd(10)} RSS ${slope(watched.rss)} MiB/min (${
        Math.min(...rss).toFixed(1)
      }-${Math.max(...rss).toFixed(1)} MiB), heap ${
        slope(watched.heap)
      }, outside ${slope(watched.outside)}, ${slope(watched.fds)} fds/min`,
    );
  }
} finally {
  for (const s of subscribers) {
    try {
      s.child.kill("SIGINT");
    } catch {
      // Already gone.
    }
    await s.child.status;
  }
  await agent.stop();
  await Deno.remove(probes, { recursive: true });
}
