/**
 * End to end: how `auki-edge run` enters a cluster. Discovery down at start
 * (retries with backoff, a clear log line, joins once it is up), fatal
 * bootstrap errors (`--target create` on a taken name, `--target join` on an
 * unknown one), `most_recent_or_create` both ways, the config file's
 * `cluster` section, an embedded Discovery, and the cluster flags' usage
 * errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startDiscoveryServer } from "../../agent/cluster/discovery_server.ts";
import { DiscoveryClient } from "../../agent/cluster/discovery_client.ts";
import { parseJson } from "../../core/codec/json.ts";
import { runCli } from "../../scripts/harness/agent_process.ts";
import {
  type ClusterAgent,
  consistentMembership,
  freePort,
  LIGHT,
  rowOf,
  showLogs,
  spawnAgent,
  startDiscovery,
  stopAll,
  TempDirs,
} from "../../scripts/harness/cluster.ts";

/** A peer id nobody runs: rows naming it can be listed but never joined. */
const GHOST = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";

Deno.test("cluster: Discovery down at start, agents retry and join once it is up", async () => {
  const dirs = new TempDirs();
  const agents: ClusterAgent[] = [];
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  let discovery: Awaited<ReturnType<typeof startDiscovery>> | undefined;
  let ok = false;
  try {
    for (const label of ["b1", "b2"]) {
      agents.push(
        await spawnAgent({
          label,
          storage: await dirs.make(),
          discovery: url,
          cluster: "late",
        }),
      );
    }
    const retry = (seconds: number) =>
      new RegExp(
        `WARN  auki-edge/cluster: cannot enter cluster "late" yet: Discovery at ${url}/clusters is unreachable: fetch failed: tcp connect error: Connection refused \\(os error \\d+\\); retrying in ${seconds} s`,
      );
    for (const agent of agents) {
      await agent.waitForStderr(retry(1), 30_000);
      // Backoff: the second attempt waits twice as long.
      await agent.waitForStderr(retry(2), 30_000);
      assert.ok(!agent.exited(), `${agent.label} keeps running`);
    }
    discovery = await startDiscovery(dirs, { port });
    const ready = await Promise.all(agents.map((a) => a.ready(30_000)));
    assert.deepEqual(ready.map((r) => r.cluster), ["late", "late"]);
    assert.equal(
      ready.filter((r) => r.is_manager).length,
      1,
      "exactly one creates the cluster",
    );
    const manager = agents[ready.findIndex((r) => r.is_manager)];
    const member = agents[ready.findIndex((r) => !r.is_manager)];
    await consistentMembership(agents, "late", [manager.peerId, member.peerId]);
    const row = await rowOf(discovery.client, "late");
    assert.equal(row?.manager_peer_id, manager.peerId);
    ok = true;
  } finally {
    await stopAll(agents);
    await discovery?.stop();
    if (!ok) showLogs(agents, discovery);
    await dirs.remove();
  }
});

Deno.test("cluster: fatal bootstrap errors exit 1 with a clear message", async () => {
  const dirs = new TempDirs();
  const discovery = startDiscoveryServer({ ttlMs: 600_000 });
  try {
    const client = new DiscoveryClient(discovery.url);
    await client.createCluster("taken", GHOST, ["/ip4/127.0.0.1/tcp/9"]);
    const run = async (cluster: string, target: string) =>
      await runCli([
        "run",
        "--listen",
        "/ip4/127.0.0.1/tcp/0",
        "--http",
        "none",
        "--storage",
        await dirs.make(),
        "--sim",
        "none",
        "--discovery",
        discovery.url,
        "--cluster",
        cluster,
        "--target",
        target,
      ], { timeoutMs: 45_000 });
    const [create, join] = await Promise.all([
      run("taken", "create"),
      run("nosuch", "join"),
    ]);
    assert.equal(create.code, 1, create.stderr);
    assert.match(
      create.stderr,
      new RegExp(
        `ERROR auki-edge/cluster: cluster "taken" already exists in Discovery ${discovery.url}; choose another name or use --target join_or_create`,
      ),
    );
    assert.equal(join.code, 1, join.stderr);
    assert.match(
      join.stderr,
      new RegExp(
        `ERROR auki-edge/cluster: cluster "nosuch" is not listed by Discovery ${discovery.url}; use --target join_or_create to create it`,
      ),
    );
    // Nothing was changed or created.
    const rows = await client.listClusters();
    assert.deepEqual(rows.map((r) => [r.name, r.manager_peer_id]), [
      ["taken", GHOST],
    ]);
  } finally {
    await discovery.stop();
    await dirs.remove();
  }
});

Deno.test("cluster: most_recent_or_create joins the newest cluster, or creates the fallback", async () => {
  const dirs = new TempDirs();
  const agents: ClusterAgent[] = [];
  // Rows of peers that never post liveness stay listed.
  const discovery = startDiscoveryServer({ ttlMs: 600_000 });
  const empty = startDiscoveryServer();
  let ok = false;
  try {
    const client = new DiscoveryClient(discovery.url);
    await client.createCluster("older", GHOST, ["/ip4/127.0.0.1/tcp/9"]);
    const creator = await spawnAgent({
      label: "creator",
      storage: await dirs.make(),
      discovery: discovery.url,
      cluster: "newest",
      args: ["--target", "create"],
    });
    agents.push(creator);
    assert.equal((await creator.ready()).is_manager, true);
    assert.deepEqual(
      (await client.listClusters()).map((r) => r.name),
      ["newest", "older"],
    );
    // From the config file's cluster section rather than flags.
    const follower = await spawnAgent({
      label: "follower",
      storage: await dirs.make(),
      config: {
        ...LIGHT,
        cluster: {
          discovery: discovery.url,
          name: "fallback",
          target: "most_recent_or_create",
        },
      },
    });
    agents.push(follower);
    const joined = await follower.ready();
    assert.equal(joined.cluster, "newest");
    assert.equal(joined.is_manager, false);
    await consistentMembership([creator, follower], "newest", [
      creator.peerId,
      follower.peerId,
    ]);
    const alone = await spawnAgent({
      label: "alone",
      storage: await dirs.make(),
      discovery: empty.url,
      cluster: "fallback",
      args: ["--target", "most_recent_or_create"],
    });
    agents.push(alone);
    const created = await alone.ready();
    assert.deepEqual([created.cluster, created.is_manager], ["fallback", true]);
    assert.equal(
      (await rowOf(new DiscoveryClient(empty.url), "fallback"))
        ?.manager_peer_id,
      alone.peerId,
    );
    assert.deepEqual(
      (await client.listClusters()).map((r) => r.name),
      ["newest", "older"],
      "nothing created in the first Discovery",
    );
    ok = true;
  } finally {
    await stopAll(agents);
    await discovery.stop();
    await empty.stop();
    if (!ok) showLogs(agents);
    await dirs.remove();
  }
});

Deno.test("cluster: an agent with an embedded Discovery creates its cluster there", async () => {
  const dirs = new TempDirs();
  const port = freePort();
  const agent = await spawnAgent({
    label: "embedded",
    storage: await dirs.make(),
    cluster: "solo",
    args: ["--embedded-discovery", `127.0.0.1:${port}`],
  });
  let ok = false;
  try {
    const ready = await agent.ready();
    assert.deepEqual([ready.cluster, ready.is_manager], ["solo", true]);
    const listed = await runCli([
      "clusters",
      "--discovery",
      `http://127.0.0.1:${port}`,
      "--json",
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const clusters = (parseJson(listed.stdout) as {
      clusters: { name: string; manager_peer_id: string; peer_count: number }[];
    }).clusters;
    assert.deepEqual(
      clusters.map((c) => [c.name, c.manager_peer_id, c.peer_count]),
      [["solo", agent.peerId, 1]],
    );
    // A lone Manager leaving takes its row with it.
    assert.equal(await agent.stop(), 0);
    ok = true;
  } finally {
    await stopAll([agent]);
    if (!ok) showLogs([agent]);
    await dirs.remove();
  }
});

Deno.test("cluster: a lone Manager deregisters its cluster when it stops", async () => {
  const dirs = new TempDirs();
  const discovery = startDiscoveryServer();
  const agent = await spawnAgent({
    label: "lone",
    storage: await dirs.make(),
    discovery: discovery.url,
    cluster: "brief",
  });
  try {
    await agent.ready();
    const client = new DiscoveryClient(discovery.url);
    assert.equal((await rowOf(client, "brief"))?.manager_peer_id, agent.peerId);
    assert.equal(await agent.stop(), 0);
    assert.equal(await rowOf(client, "brief"), undefined);
  } finally {
    await stopAll([agent]);
    await discovery.stop();
    await dirs.remove();
  }
});

Deno.test("cluster flags: usage mistakes exit 2 with one line naming the flag", async () => {
  const addr = `/ip4/127.0.0.1/tcp/9/p2p/${GHOST}`;
  const d = ["--discovery", "http://127.0.0.1:9"];
  const cases: [string[], RegExp][] = [
    [["run", "--cluster", "lab"], /^auki-edge run: --discovery: /],
    [["run", ...d], /^auki-edge run: --cluster: /],
    [
      ["run", "--discovery", "ftp://x", "--cluster", "lab"],
      /^auki-edge run: --discovery: /,
    ],
    [["run", ...d, "--cluster", "no spaces"], /^auki-edge run: --cluster: /],
    [["run", ...d, "--cluster", "x".repeat(65)], /^auki-edge run: --cluster: /],
    [
      ["run", ...d, "--cluster", "lab", "--target", "sideways"],
      /^auki-edge run: --target: unknown target "sideways"/,
    ],
    [
      ["run", ...d, "--cluster", "lab", "--wire-encoding", "xml"],
      /^auki-edge run: --wire-encoding: /,
    ],
    [
      ["run", "--embedded-discovery", "nope", "--cluster", "lab"],
      /^auki-edge run: --embedded-discovery: /,
    ],
    [["run", "--target"], /^auki-edge run: --target needs a value/],
    [
      ["catalog", addr, "--cluster", "lab"],
      /^auki-edge catalog: --cluster needs --discovery/,
    ],
    [
      ["catalog", addr, ...d],
      /^auki-edge catalog: --discovery needs --cluster/,
    ],
    [
      ["subscribe", addr, "sim_joints", ...d, "--cluster", "bad/name"],
      /^auki-edge subscribe: --cluster: /,
    ],
    [
      [
        "subscribe",
        addr,
        "sim_joints",
        "--discovery",
        "nope",
        "--cluster",
        "lab",
      ],
      /^auki-edge subscribe: --discovery: /,
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((result, i) => {
    const [args, message] = cases[i];
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    assert.equal(result.stdout, "");
  });
});
