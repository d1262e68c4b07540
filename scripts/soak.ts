/**
 * `deno task soak [--minutes N] [--interval S]`: runs an agent with every
 * simulated sensor and one `auki-edge subscribe` process per sensor (with
 * `--json`, but for the camera, whose frames are summarised), and prints the
 * agent's and each subscriber's RSS, open file descriptors and entry rates
 * over time; at the end the slope (MiB/min, descriptors/min) after a
 * warm-up of a fifth of the run (at most 1 minute). Flat is within ±1 MiB/min.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startAgent } from "./harness/agent_process.ts";
import { afterWarmUp, type Sample, slopePerMinute } from "./soak/trend.ts";
import { SIM_KINDS } from "../drivers/registry.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The resource id of each simulated sensor (each driver's default id). */
const RESOURCES = ["sim_camera", "sim_lidar", "sim_uwb", "sim_joints"];

interface Watched {
  label: string;
  pid: number;
  rss: Sample[];
  fds: Sample[];
}

/** A running `subscribe` process and how many entries it printed. */
interface Subscriber extends Watched {
  lines: number;
  child: Deno.ChildProcess;
}

async function rssMib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function openFds(pid: number): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  return count;
}

function subscribe(address: string, resource: string): Subscriber {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      MAIN,
      "subscribe",
      address,
      resource,
      ...(resource === "sim_camera" ? [] : ["--json"]),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const subscriber: Subscriber = {
    label: resource,
    pid: child.pid,
    rss: [],
    fds: [],
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
  watched.rss.push({ minutes, value: await rssMib(watched.pid) });
  watched.fds.push({ minutes, value: await openFds(watched.pid) });
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "10" },
    interval: { type: "string", default: "15" },
  },
});
const minutes = Number(values.minutes);
const intervalS = Number(values.interval);
if (!(minutes > 0) || !(intervalS > 0)) {
  console.error("soak: --minutes and --interval must be positive numbers");
  Deno.exit(2);
}
console.log(
  `soak: ${
    Object.values(SIM_KINDS).join(", ")
  } for ${minutes} min, a sample every ${intervalS} s`,
);
const agent = await startAgent({});
const agentWatch: Watched = {
  label: "agent",
  pid: agent.pid,
  rss: [],
  fds: [],
};
const subscribers = RESOURCES.map((r) =>
  subscribe(agent.address.toString(), r)
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
    const last = (w: Watched) =>
      `${w.rss.at(-1)!.value.toFixed(1)} MiB ${w.fds.at(-1)!.value} fds`;
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
  const warmUp = Math.min(1, minutes / 5);
  console.log(`slopes after ${warmUp.toFixed(2)} min of warm-up:`);
  for (const watched of [agentWatch, ...subscribers]) {
    const rss = slopePerMinute(afterWarmUp(watched.rss, warmUp));
    const fds = slopePerMinute(afterWarmUp(watched.fds, warmUp));
    console.log(
      `  ${watched.label.padEnd(10)} ${rss >= 0 ? "+" : ""}${
        rss.toFixed(2)
      } MiB/min, ${fds >= 0 ? "+" : ""}${fds.toFixed(2)} fds/min`,
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
}
