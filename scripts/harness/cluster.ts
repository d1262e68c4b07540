/**
 * Harness of the cluster end-to-end tests and benchmarks: a Discovery process, agent
 * processes that may take a while to join (or never do), temporary
 * directories, a short-lived member client, the membership each agent
 * dumps, and polling.
 *
 * @module
 */
import { join } from "node:path";
import { AUKI_EDGE } from "./agent_process.ts";
import { setTimeout as delay } from "node:timers/promises";
import type { Libp2p } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import type { ResourceEntry } from "../../agent/catalog/resource_entry.ts";
import { DiscoveryClient } from "../../agent/cluster/discovery_client.ts";
import type { ClusterEntry } from "../../agent/cluster/discovery_types.ts";
import { membershipDumpPath } from "../../agent/cluster/membership_dump.ts";
import {
  type ClusterMembership,
  parseMembership,
} from "../../agent/cluster/membership.ts";
import { requestInfo } from "../../agent/protocols/info.ts";
import { withClient } from "../../cli/client.ts";
import { joinAsMember, untilAdmitted } from "../../cli/cluster_flags.ts";
import { requestResources } from "../../agent/protocols/resources.ts";

/** A light agent: one joint bank at 20 Hz, small caches. */
export const LIGHT = {
  cache_mb: 1,
  sensors: [{ driver: "sim.joints", rate_hz: 20 }],
};

/** Temporary directories removed together. */
export class TempDirs {
  readonly #dirs: string[] = [];

  /** A new empty directory. */
  async make(prefix = "auki-edge-cluster-"): Promise<string> {
    const dir = await Deno.makeTempDir({ prefix });
    this.#dirs.push(dir);
    return dir;
  }

  /** Removes every directory made. */
  async remove(): Promise<void> {
    for (const dir of this.#dirs) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
}

/** Polls `check` every 100 ms until it returns a value other than `undefined`; throws with `what` after `timeoutMs`. */
export async function poll<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${
          last === undefined ? "" : ` (last error: ${last})`
        }`,
      );
    }
    await delay(100);
  }
}

/** A child process whose standard error is kept. */
class Child {
  readonly process: Deno.ChildProcess;
  #err = "";
  #exited = false;
  readonly #status: Promise<Deno.CommandStatus>;

  /** Runs `main.ts` with `args`, inside network namespace `netns` when given. */
  constructor(args: string[], netns?: string) {
    const command = [...AUKI_EDGE, ...args];
    this.process = new Deno.Command(netns ? "ip" : command[0], {
      args: netns ? ["netns", "exec", netns, ...command] : command.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const decoder = new TextDecoder();
    const drain = this.process.stderr.pipeTo(
      new WritableStream({
        write: (chunk) => {
          this.#err += decoder.decode(chunk, { stream: true });
        },
      }),
    );
    this.#status = this.process.status.then(async (s) => {
      this.#exited = true;
      await drain.catch(() => {});
      return s;
    });
  }

  get pid(): number {
    return this.process.pid;
  }

  stderr(): string {
    return this.#err;
  }

  exited(): boolean {
    return this.#exited;
  }

  async code(): Promise<number> {
    return (await this.#status).code;
  }

  async waitForStderr(pattern: string | RegExp, timeoutMs = 15_000) {
    const found = () =>
      typeof pattern === "string"
        ? this.#err.includes(pattern)
        : pattern.test(this.#err);
    await poll(`${pattern} in the output of pid ${this.pid}`, () => {
      if (found()) return true;
      if (this.#exited) {
        throw new Error(`pid ${this.pid} exited:\n${this.#err}`);
      }
    }, timeoutMs).catch((error) => {
      throw new Error(`${error.message}\n${this.#err}`);
    });
  }

  async signal(signal: Deno.Signal): Promise<number> {
    if (!this.#exited) {
      try {
        this.process.kill(signal);
      } catch {
        // Exited meanwhile.
      }
    }
    return await this.code();
  }
}

/** A running Discovery process. */
export interface DiscoveryProcess {
  /** Its base URL. */
  url: string;
  /** Its port. */
  port: number;
  /** Its process id. */
  pid: number;
  /** A client of it. */
  client: DiscoveryClient;
  /** What it logged. */
  stderr(): string;
  /** SIGTERM, wait. */
  stop(): Promise<void>;
}

/** Starts `auki-edge discovery` on 127.0.0.1 or `host` (port 0 picks one). */
export async function startDiscovery(
  dirs: TempDirs,
  options: { port?: number; ttlMs?: number; host?: string; args?: string[] } =
    {},
): Promise<DiscoveryProcess> {
  const ready = join(await dirs.make("auki-edge-discovery-"), "ready.json");
  const child = new Child([
    "discovery",
    "--listen",
    `${options.host ?? "127.0.0.1"}:${options.port ?? 0}`,
    "--ready-file",
    ready,
    ...(options.ttlMs ? ["--ttl-ms", String(options.ttlMs)] : []),
    ...(options.args ?? []),
  ]);
  const { url } = await poll("the Discovery ready file", async () => {
    if (child.exited()) {
      throw new Error(`discovery exited:\n${child.stderr()}`);
    }
    return JSON.parse(await Deno.readTextFile(ready)) as { url: string };
  }, 30_000).catch(async (error) => {
    await child.signal("SIGKILL");
    throw error;
  });
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid,
    client: new DiscoveryClient(url),
    stderr: () => child.stderr(),
    stop: async () => {
      await child.signal("SIGTERM");
    },
  };
}

/** A running `auki-edge relay` process. */
export interface RelayProcess {
  /** The relay's peer id. */
  peerId: string;
  /** Its address, `/ip4/127.0.0.1/tcp/<port>/p2p/<relay id>`. */
  address: string;
  /** What it logged. */
  stderr(): string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/**
 * Starts `auki-edge relay` on 127.0.0.1 (or `host`) with the seed in `dir`, so starting
 * it again on the same directory and port restarts the same relay.
 */
export async function startRelay(
  dir: string,
  options: { port: number; host?: string; netns?: string; args?: string[] },
): Promise<RelayProcess> {
  const ready = join(dir, `relay-ready-${crypto.randomUUID()}.json`);
  const child = new Child([
    "relay",
    "--listen",
    `/ip4/${options.host ?? "127.0.0.1"}/tcp/${options.port}`,
    "--seed",
    join(dir, "relay.seed"),
    "--ready-file",
    ready,
    ...(options.args ?? []),
  ], options.netns);
  const info = await poll("the relay ready file", async () => {
    if (child.exited()) throw new Error(`relay exited:\n${child.stderr()}`);
    return JSON.parse(await Deno.readTextFile(ready)) as Ready;
  }, 30_000).catch(async (error) => {
    await child.signal("SIGKILL");
    throw error;
  });
  return {
    peerId: info.peer_id,
    address: info.multiaddrs[0],
    stderr: () => child.stderr(),
    stop: async () => {
      await child.signal("SIGTERM");
    },
    kill: async () => {
      await child.signal("SIGKILL");
    },
  };
}

/** A port nobody listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** What an agent's ready file says. */
export interface Ready {
  peer_id: string;
  multiaddrs: string[];
  cluster?: string;
  is_manager?: boolean;
}

/** An agent process in a cluster. */
export interface ClusterAgent {
  /** A label for messages. */
  label: string;
  /** Its storage root (kept for restarts). */
  storage: string;
  /** Its pid. */
  pid: number;
  /** What it logged so far. */
  stderr(): string;
  /** Whether it exited. */
  exited(): boolean;
  /** Waits until its log matches. */
  waitForStderr(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for its ready file (written once joined); throws if it exits first. */
  ready(timeoutMs?: number): Promise<Ready>;
  /** Its peer id (after {@link ready}). */
  peerId: string;
  /** Its address with `/p2p/` (after {@link ready}). */
  address: Multiaddr;
  /** Its exit code, once it exits. */
  code(): Promise<number>;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/** Options of {@link spawnAgent}. */
export interface SpawnOptions {
  /** Label for messages. */
  label: string;
  /** Storage root; the seed lives in it, so reusing it restarts the same peer. */
  storage: string;
  /** Discovery URL and cluster name (omit both for standalone). */
  discovery?: string;
  cluster?: string;
  /** More `run` arguments. */
  args?: string[];
  /** `--listen` value (default loopback, port 0; `none` for relay-only). */
  listen?: string;
  /** Network namespace to run in (`ip netns exec`). */
  netns?: string;
  /** Configuration (default {@link LIGHT}). */
  config?: unknown;
}

/** Starts `auki-edge run` on loopback without waiting for it to join. */
export async function spawnAgent(options: SpawnOptions): Promise<ClusterAgent> {
  await Deno.mkdir(options.storage, { recursive: true });
  const ready = join(options.storage, `ready-${crypto.randomUUID()}.json`);
  const config = join(options.storage, `config-${crypto.randomUUID()}.json`);
  await Deno.writeTextFile(config, JSON.stringify(options.config ?? LIGHT));
  const child = new Child([
    "run",
    "--listen",
    options.listen ?? "/ip4/127.0.0.1/tcp/0",
    "--storage",
    options.storage,
    "--ready-file",
    ready,
    "--http",
    "127.0.0.1:0",
    "--config",
    config,
    ...(options.discovery ? ["--discovery", options.discovery] : []),
    ...(options.cluster ? ["--cluster", options.cluster] : []),
    ...(options.args ?? []),
  ], options.netns);
  let readyInfo: Ready | undefined;
  const agent: ClusterAgent = {
    label: options.label,
    storage: options.storage,
    pid: child.pid,
    stderr: () => child.stderr(),
    exited: () => child.exited(),
    waitForStderr: (pattern, timeoutMs) =>
      child.waitForStderr(pattern, timeoutMs),
    async ready(timeoutMs = 30_000) {
      readyInfo ??= await poll(`${options.label} to join`, async () => {
        if (child.exited()) {
          throw new Error(
            `${options.label} exited (${await child
              .code()}):\n${child.stderr()}`,
          );
        }
        try {
          return JSON.parse(await Deno.readTextFile(ready)) as Ready;
        } catch {
          return undefined;
        }
      }, timeoutMs).catch((error) => {
        throw new Error(
          `${error.message}\n--- ${options.label}:\n${child.stderr()}`,
        );
      });
      agent.peerId = readyInfo.peer_id;
      agent.address = multiaddr(readyInfo.multiaddrs[0]);
      return readyInfo;
    },
    peerId: "",
    address: multiaddr("/ip4/127.0.0.1/tcp/1"),
    code: () => child.code(),
    stop: () => child.signal("SIGTERM"),
    kill: async () => {
      await child.signal("SIGKILL");
    },
  };
  return agent;
}

/** Stops every agent still running, each on its own (never by name). */
export async function stopAll(agents: ClusterAgent[]): Promise<void> {
  await Promise.all(agents.map(async (agent) => {
    if (agent.exited()) return;
    const code = await Promise.race([
      agent.stop(),
      delay(10_000).then(() => undefined),
    ]);
    if (code === undefined) await agent.kill();
  }));
}

/** Prints every process's log, for a failed test. */
export function showLogs(
  agents: ClusterAgent[],
  discovery?: DiscoveryProcess,
): void {
  for (const agent of agents) {
    console.error(`--- ${agent.label} (${agent.peerId}):\n${agent.stderr()}`);
  }
  if (discovery) console.error(`--- discovery:\n${discovery.stderr()}`);
}

/** The membership an agent dumped, or `undefined` when it has none. */
async function membershipOf(
  agent: ClusterAgent,
  cluster: string,
): Promise<ClusterMembership | undefined> {
  try {
    return parseMembership(
      await Deno.readTextFile(membershipDumpPath(agent.storage, cluster)),
    );
  } catch {
    return undefined;
  }
}

/**
 * Waits until every agent's membership lists exactly `expected` peers, in
 * the same order everywhere; returns that membership.
 */
export async function consistentMembership(
  agents: ClusterAgent[],
  cluster: string,
  expected: string[],
  timeoutMs = 15_000,
): Promise<ClusterMembership> {
  let views: (ClusterMembership | undefined)[] = [];
  try {
    return await poll(
      `a consistent membership of ${agents.map((a) => a.label).join(", ")}`,
      async () => {
        views = await Promise.all(agents.map((a) => membershipOf(a, cluster)));
        const lists = views.map((v) => v?.peers.map((p) => p.peer_id));
        if (lists.some((l) => l === undefined)) return undefined;
        const first = JSON.stringify(lists[0]);
        if (!lists.every((l) => JSON.stringify(l) === first)) return undefined;
        if (
          lists[0]!.length !== expected.length ||
          !expected.every((p) => lists[0]!.includes(p))
        ) {
          return undefined;
        }
        return views[0];
      },
      timeoutMs,
    );
  } catch (error) {
    const shown = agents.map((a, i) =>
      `${a.label} (${a.peerId}): ${
        views[i]?.peers.map((p) => p.peer_id).join(", ") ?? "none"
      }`
    ).join("\n");
    throw new Error(
      `${(error as Error).message}\nexpected: ${expected.join(", ")}\n${shown}`,
    );
  }
}

/** The cluster's Discovery row, or `undefined` when it has none. */
export async function rowOf(
  discovery: DiscoveryClient,
  cluster: string,
): Promise<ClusterEntry | undefined> {
  return (await discovery.listClusters()).find((c) => c.name === cluster);
}

/** A short-lived member of the cluster. */
export interface Member {
  /** The member's node. */
  node: Libp2p;
  /** Its peer id. */
  peerId: string;
}

/** Runs `work` as a short-lived member of `cluster` (as `catalog --discovery --cluster` does). */
export async function asMember<T>(
  discovery: string,
  cluster: string,
  work: (member: Member) => Promise<T>,
): Promise<T> {
  return await withClient(async (node) => {
    const membership = await joinAsMember(node, { discovery, name: cluster });
    try {
      return await work({ node, peerId: node.peerId.toString() });
    } finally {
      await membership.leave();
    }
  });
}

/** ParticipantInfo of `agent`, retrying while it has not heard of this member yet. */
export function infoOf(
  node: Libp2p,
  agent: ClusterAgent,
): ReturnType<typeof requestInfo> {
  return untilAdmitted(() => requestInfo(node, agent.address));
}

/** Catalog rows of `agent`, retrying while it has not heard of this member yet. */
export function catalogOf(
  node: Libp2p,
  agent: ClusterAgent,
): Promise<ResourceEntry[]> {
  return untilAdmitted(() => requestResources(node, agent.address));
}
