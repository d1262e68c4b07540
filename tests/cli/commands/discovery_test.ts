/**
 * `auki-edge discovery` and `auki-edge clusters` run as processes: help,
 * usage errors, a served directory listed as a table and as JSON, the
 * token, and an unreachable Discovery.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DiscoveryClient } from "../../../agent/cluster/discovery_client.ts";
import { parseJson } from "../../../core/codec/json.ts";
import { parseListen } from "../../../cli/commands/discovery.ts";
import { clustersTable } from "../../../cli/commands/clusters.ts";
import { AUKI_EDGE, runCli } from "../../../scripts/harness/agent_process.ts";

const MANAGER = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
const NATIVE = "/ip4/192.168.9.10/tcp/4001";

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `discovery` as a process until `work` ends, then SIGTERM; returns its exit code and stderr. */
async function withDiscovery(
  args: string[],
  work: (url: string) => Promise<void>,
): Promise<Output> {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-discovery-" });
  const ready = join(dir, "ready.json");
  const [program, ...leading] = AUKI_EDGE;
  const child = new Deno.Command(program, {
    args: [
      ...leading,
      "discovery",
      "--listen",
      "127.0.0.1:0",
      "--ready-file",
      ready,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  try {
    const deadline = Date.now() + 20_000;
    let url: string | undefined;
    while (url === undefined) {
      try {
        url = (JSON.parse(await Deno.readTextFile(ready)) as { url: string })
          .url;
      } catch {
        if (Date.now() > deadline) throw new Error("discovery never got ready");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await work(url);
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited: its output tells why.
    }
    await Deno.remove(dir, { recursive: true });
  }
  const result = await output;
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

Deno.test("parseListen: HOST:PORT and [IPv6]:PORT", () => {
  assert.deepEqual(parseListen("0.0.0.0:8080"), {
    hostname: "0.0.0.0",
    port: 8080,
  });
  assert.deepEqual(parseListen("[::]:0"), { hostname: "::", port: 0 });
  assert.deepEqual(parseListen("localhost:65535"), {
    hostname: "localhost",
    port: 65535,
  });
  for (const bad of ["8080", "host:", ":80", "host:65536", "::1:80", "h:x"]) {
    assert.throws(() => parseListen(bad), Error, bad);
  }
});

Deno.test("clustersTable: columns, UTC seconds and liveness age", () => {
  const table = clustersTable([{
    name: "alpha",
    manager_peer_id: MANAGER,
    manager_multiaddrs: [NATIVE, "/ip4/10.0.0.1/tcp/4001"],
    relay_multiaddrs: [],
    peer_count: 3,
    created_ns: 1715423400123456789n,
    last_liveness_check_ns: 1715423499000000000n,
  }], 1715423500250000000n);
  const [header, row] = table.split("\n");
  assert.match(
    header,
    /^NAME +MANAGER +ADDRESSES +PEERS +CREATED \(UTC\) +LAST LIVENESS \(age\)$/,
  );
  assert.match(
    row,
    new RegExp(
      `^alpha +${MANAGER} +${NATIVE},/ip4/10.0.0.1/tcp/4001 +3 +2024-05-11T10:30:00Z +1.2s ago$`,
    ),
  );
  assert.equal(
    clustersTable([], 0n),
    "NAME  MANAGER  ADDRESSES  PEERS  CREATED (UTC)  LAST LIVENESS (age)",
  );
});

Deno.test("--help of both commands prints usage and exits 0", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["discovery", "--help"],
      /Usage: auki-edge discovery[\s\S]*--listen HOST:PORT[\s\S]*--ttl-ms[\s\S]*--token[\s\S]*--ready-file/,
    ],
    [
      ["clusters", "-h"],
      /Usage: auki-edge clusters --discovery URL[\s\S]*--token[\s\S]*--json/,
    ],
  ];
  for (const [args, usage] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, usage);
    assert.equal(result.stderr, "");
  }
});

Deno.test("usage mistakes exit 2 with one line naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["discovery", "--listen", "8080"], /^auki-edge discovery: --listen: /],
    [["discovery", "--listen", "h:70000"], /^auki-edge discovery: --listen: /],
    [["discovery", "--ttl-ms", "soon"], /^auki-edge discovery: --ttl-ms: /],
    [["discovery", "--ttl-ms", "0"], /^auki-edge discovery: --ttl-ms: /],
    [["discovery", "--token", " "], /^auki-edge discovery: --token: /],
    [["discovery", "--bogus"], /^auki-edge discovery: unknown flag --bogus/],
    [["discovery", "extra"], /^auki-edge discovery: unexpected argument/],
    [["clusters"], /^auki-edge clusters: --discovery URL is required/],
    [
      ["clusters", "--discovery", "ftp://x"],
      /^auki-edge clusters: --discovery: /,
    ],
    [["clusters", "--discovery"], /^auki-edge clusters: --discovery needs/],
  ];
  // Two processes at a time: ten at once on a two-core machine can outlast
  // each one's timeout.
  const results: Output[] = [];
  for (let i = 0; i < cases.length; i += 2) {
    results.push(
      ...await Promise.all(cases.slice(i, i + 2).map(([args]) => runCli(args))),
    );
  }
  results.forEach((result, i) => {
    const [args, message] = cases[i];
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(" "));
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    assert.equal(result.stdout, "");
  });
});

Deno.test("discovery serves, clusters lists it as a table and JSON, SIGTERM stops it", async () => {
  let created = 0n;
  // Rows outlive the slowest CLI start: nothing posts liveness here.
  const server = await withDiscovery(["--ttl-ms", "120000"], async (url) => {
    const client = new DiscoveryClient(url);
    const outcome = await client.createCluster("alpha", MANAGER, [NATIVE]);
    assert.equal(outcome.outcome, "created");
    if (outcome.outcome === "created") created = outcome.entry.created_ns;
    await client.createCluster("beta", MANAGER, [NATIVE]);

    const table = await runCli(["clusters", "--discovery", `${url}/`]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3, table.stdout);
    assert.match(lines[0], /^NAME +MANAGER/);
    assert.match(lines[1], new RegExp(`^beta +${MANAGER} +${NATIVE} +1 +`));
    assert.match(lines[2], /^alpha /);

    const json = await runCli(["clusters", "--discovery", url, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const body = parseJson(json.stdout) as {
      clusters: { name: string; created_ns: bigint }[];
    };
    assert.deepEqual(body.clusters.map((c) => c.name), ["beta", "alpha"]);
    assert.equal(body.clusters[1].created_ns, created);
  });
  assert.equal(server.code, 0, server.stderr);
  assert.match(
    server.stderr,
    /INFO +auki-edge\/discovery: serving on 127\.0\.0\.1:\d+/,
  );
  assert.match(server.stderr, /POST \/clusters\/alpha 201/);
  assert.match(server.stderr, /shutting down/);
});

Deno.test("discovery --token guards writes; clusters takes --token", async () => {
  const server = await withDiscovery(
    ["--token", "s3cret", "--ttl-ms", "60000"],
    async (url) => {
      const anonymous = await new DiscoveryClient(url)
        .createCluster("alpha", MANAGER, [NATIVE])
        .then(() => 0, (e) => e.status);
      assert.equal(anonymous, 401);
      const owner = new DiscoveryClient(url, { authorization: "s3cret" });
      assert.equal(
        (await owner.createCluster("alpha", MANAGER, [NATIVE])).outcome,
        "created",
      );
      const listed = await runCli([
        "clusters",
        "--discovery",
        url,
        "--token",
        "s3cret",
        "--json",
      ]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /"name":"alpha"/);
    },
  );
  assert.equal(server.code, 0, server.stderr);
  assert.match(server.stderr, /POST \/clusters\/alpha 401/);
});

Deno.test("clusters against an unreachable Discovery: one line, exit 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const result = await runCli([
    "clusters",
    "--discovery",
    `http://127.0.0.1:${port}`,
  ]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    new RegExp(
      `^auki-edge clusters: Discovery at http://127\\.0\\.0\\.1:${port}/clusters is unreachable: .+\\n$`,
    ),
  );
});
