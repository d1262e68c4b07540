/**
 * The `auki-edge` command line, run as separate processes: help, usage
 * errors (exit 2, one line naming the flag), identity, and the inspection
 * commands against a real agent.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseJson } from "../../core/codec/json.ts";
import { ResourcesResponse } from "../../agent/catalog/resource_entry.ts";
import { isoNs } from "../../cli/commands/subscribe.ts";
import {
  AUKI_EDGE,
  runCli,
  startAgent,
} from "../../scripts/harness/agent_process.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
import { isJointSample, SMALL_SIMS, utcNowNs } from "../e2e/_helpers.ts";

const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/;
/** A well-formed address nothing listens on (usage errors fail before dialling). */
const NOWHERE =
  "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWH8R2rfQYjYkpFEW7ao1J4QPDKLcoA6ofnDVAcfrYS94f";

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

Deno.test("--help prints usage and exits 0", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--help"],
      /Usage: auki-edge <command>[\s\S]*run[\s\S]*identity[\s\S]*catalog[\s\S]*subscribe/,
    ],
    [
      ["run", "--help"],
      /Usage: auki-edge run[\s\S]*--listen[\s\S]*--storage[\s\S]*--sim/,
    ],
    [["identity", "--help"], /Usage: auki-edge identity[\s\S]*--seed/],
    [["catalog", "--help"], /Usage: auki-edge catalog MULTIADDR[\s\S]*--json/],
    [
      ["subscribe", "--help"],
      /Usage: auki-edge subscribe MULTIADDR RESOURCE_ID[\s\S]*--from[\s\S]*--count/,
    ],
    [["subscribe", "-h"], /Usage: auki-edge subscribe/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((result, i) => {
    const [args, usage] = cases[i];
    assert.equal(
      result.code,
      0,
      `${args.join(" ")}: exit code (${result.stderr})`,
    );
    assert.match(result.stdout, usage, args.join(" "));
    assert.equal(result.stderr, "", `${args.join(" ")}: nothing on stderr`);
  });
});

/** The modules `deno info` says `root` loads, following static imports only. */
async function staticGraph(root: string): Promise<Set<string>> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", MAIN],
    stdout: "piped",
  }).output();
  const modules = new Map<string, { code?: string; isDynamic?: boolean }[]>();
  for (const m of JSON.parse(new TextDecoder().decode(stdout)).modules) {
    modules.set(
      m.specifier,
      (m.dependencies ?? []).map((
        d: { code?: { specifier: string }; isDynamic?: boolean },
      ) => ({ code: d.code?.specifier, isDynamic: d.isDynamic })),
    );
  }
  const reached = new Set<string>();
  const visit = (specifier: string) => {
    if (reached.has(specifier)) return;
    reached.add(specifier);
    for (const d of modules.get(specifier) ?? []) {
      if (d.code !== undefined && !d.isDynamic) visit(d.code);
    }
  };
  visit(new URL(root, new URL("../../", import.meta.url)).href);
  assert.ok(reached.size > 1, `deno info found no imports of ${root}`);
  return reached;
}

Deno.test("commands load lazily: subscribe holds none of the agent's code", async () => {
  // Every command module statically imported by the dispatcher would sit in
  // the heap of every command: a subscriber's memory doubles.
  const dispatcher = [...await staticGraph("cli/main.ts")];
  assert.deepEqual(dispatcher.filter((m) => m.includes("/cli/commands/")), []);
  const subscribe = [...await staticGraph("cli/commands/subscribe.ts")];
  for (const agentOnly of ["agent/agent.ts", "agent/config.ts"]) {
    assert.ok(
      !subscribe.some((m) => m.endsWith(`/${agentOnly}`)),
      `subscribe loads ${agentOnly}`,
    );
  }
});

Deno.test("usage mistakes exit 2 with one line naming the flag or field", async () => {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-cli-" });
  try {
    const config = async (name: string, body: string) => {
      const path = join(dir, name);
      await Deno.writeTextFile(path, body);
      return path;
    };
    const storage = join(dir, "storage");
    const cases: [string[], RegExp][] = [
      [["run", "--bogus"], /--bogus/],
      [["run", "--listen"], /--listen/],
      [["run", "--sim", "bogus"], /--sim.*bogus/],
      [["run", "--listen", "not-an-address"], /--listen/],
      [["subscribe", NOWHERE, "x", "--from", "yesterday"], /--from.*yesterday/],
      [["subscribe", NOWHERE, "x", "--count", "-1"], /--count/],
      [["subscribe", NOWHERE, "x", "--count=-1"], /--count.*-1/],
      [["subscribe", NOWHERE], /RESOURCE_ID/],
      [["catalog", "not-a-multiaddr"], /MULTIADDR.*not-a-multiaddr/],
      [["catalog", NOWHERE, "--variant", "bogus"], /--variant.*bogus/],
      [["identity", "--seed"], /--seed/],
      [
        ["relay", "--domain", "de66fdf4-a830-4017-95dd-5741c30a6d0f"],
        /--dds: source admission needs both --domain and --dds/,
      ],
      [
        ["relay", "--domain", "lab", "--dds", "http://127.0.0.1:9"],
        /--domain.*"lab" is not a lowercase canonical UUID/,
      ],
      [["bogus"], /bogus/],
      [
        [
          "run",
          "--storage",
          storage,
          "--config",
          await config(
            "width.json",
            '{"sensors":[{"driver":"sim.camera","width":"big"}]}',
          ),
        ],
        /sensors\[0\].*width/,
      ],
      [
        [
          "run",
          "--storage",
          storage,
          "--config",
          await config("key.json", '{"sensors":[],"bogus_field":1}'),
        ],
        /bogus_field/,
      ],
      [
        [
          "run",
          "--storage",
          storage,
          "--config",
          await config("listen.json", '{"listen":"/ip4/0.0.0.0/tcp/1"}'),
        ],
        /listen/,
      ],
      [
        [
          "run",
          "--storage",
          storage,
          "--config",
          await config("driver.json", '{"sensors":[{"driver":"sim.nope"}]}'),
        ],
        /sensors\[0\]\.driver.*sim\.nope/,
      ],
      [
        [
          "run",
          "--storage",
          storage,
          "--config",
          await config("broken.json", '{"sensors":'),
        ],
        /broken\.json.*JSON/,
      ],
    ];
    // A few at a time: each is a Deno process.
    for (let i = 0; i < cases.length; i += 4) {
      const batch = cases.slice(i, i + 4);
      const results = await Promise.all(batch.map(([args]) => runCli(args)));
      results.forEach((result, j) => {
        const [args, names] = batch[j];
        const what = args.join(" ");
        assert.equal(result.code, 2, `${what}: exit code (${result.stderr})`);
        const errors = lines(result.stderr);
        assert.equal(
          errors.length,
          1,
          `${what}: one line on stderr, got:\n${result.stderr}`,
        );
        assert.match(errors[0], names, what);
        assert.equal(result.stdout, "", `${what}: nothing on stdout`);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("identity mints a private seed once and prints a stable peer id", async () => {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-cli-" });
  try {
    const seed = join(dir, "new", "identity.seed");
    const first = await runCli(["identity", "--seed", seed]);
    assert.equal(first.code, 0, first.stderr);
    const id = first.stdout.trim();
    assert.match(id, PEER_ID);
    assert.equal(lines(first.stdout).length, 1);
    const info = await Deno.stat(seed);
    assert.equal(info.size, 32);
    assert.equal(info.mode! & 0o777, 0o600);
    const bytes = await Deno.readFile(seed);

    const second = await runCli(["identity", "--seed", seed]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      second.stdout.trim(),
      id,
      "the same seed gives the same peer id",
    );
    assert.deepEqual(
      await Deno.readFile(seed),
      bytes,
      "the seed is not rewritten",
    );

    // A seed others can read is refused by run, with the fix in the message.
    const open = join(dir, "open.seed");
    await Deno.writeFile(open, crypto.getRandomValues(new Uint8Array(32)));
    await Deno.chmod(open, 0o644);
    const run = await runCli([
      "run",
      "--seed",
      open,
      "--storage",
      join(dir, "storage"),
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
      "--http",
      "none",
      "--sim",
      "none",
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /chmod 600/);
    assert.ok(run.stderr.includes(open), "the message names the seed file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog and subscribe against a running agent", async (t) => {
  const agent = await startAgent({ config: SMALL_SIMS });
  const address = agent.address.toString();
  try {
    await t.step("catalog prints a table of the five resources", async () => {
      const result = await runCli(["catalog", address]);
      assert.equal(result.code, 0, result.stderr);
      const [header, ...rows] = lines(result.stdout);
      assert.match(
        header,
        /^RESOURCE\s+KIND\s+ENTRIES\s+SIZE\s+RATE\s+SPAN\s+HEAD$/,
      );
      assert.equal(rows.length, 5);
      for (const line of [header, ...rows]) {
        assert.ok(line.length <= 120, `wider than 120 columns: ${line}`);
      }
      const byId = new Map(rows.map((row) => [row.split(/\s+/)[0], row]));
      assert.match(
        byId.get("sim_camera") ?? "",
        /^sim_camera\s+camera\/rgb\s+\d+\s+[\d.]+ (B|KiB|MiB)\s+(\d+\.\d Hz|-)\s+[\d.]+s\s+rolling \d+\.\ds$/,
      );
      assert.match(byId.get("sim_lidar") ?? "", /\s+rangefinder\/2d_lidar\s/);
      assert.match(byId.get("sim_uwb") ?? "", /\s+rf\/uwb\s/);
      assert.match(
        byId.get("sim_joints") ?? "",
        /\s+joint_encoders\/absolute\s+\d+\s+[\d.]+ (B|KiB)\s+(\d+(\.\d)? Hz|-)\s/,
      );
      const transform = rows.find((row) => row.includes("time_transform_log"));
      assert.ok(transform, "the time transform row");
      assert.ok(
        transform.startsWith(`${agent.peerId.slice(0, 4)}…/`),
        `a shortened id: ${transform}`,
      );
    });

    await t.step("catalog --json prints the response", async () => {
      const result = await runCli(["catalog", address, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(lines(result.stdout).length, 1);
      const parsed = parseJson(result.stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(parsed), ["resources"]);
      const { resources } = ResourcesResponse.parse(parsed);
      assert.deepEqual(
        resources.map((r) => r.resource_id).filter((id) => !id.includes("->"))
          .sort(),
        ["sim_camera", "sim_joints", "sim_lidar", "sim_uwb"],
      );
      assert.equal(resources.length, 5);
      assert.ok(resources.every((r) => r.source_peer_id === agent.peerId));

      const filtered = await runCli([
        "catalog",
        address,
        "--json",
        "--variant",
        "time_transform_log",
      ]);
      assert.equal(filtered.code, 0, filtered.stderr);
      const only =
        ResourcesResponse.parse(parseJson(filtered.stdout)).resources;
      assert.deepEqual(only.map((r) => r.variant), ["time_transform_log"]);
    });

    await t.step("subscribe --count 3 prints three entry lines", async () => {
      const before = utcNowNs();
      const result = await runCli([
        "subscribe",
        address,
        "sim_joints",
        "--count",
        "3",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const out = lines(result.stdout);
      assert.equal(out.length, 3, result.stdout);
      let previous = 0n;
      out.forEach((line, i) => {
        const match = /^(\d+) (\S+) seq=(\d+) 6 joints \[(.+)\] rad$/.exec(
          line,
        );
        assert.ok(match, `entry line: ${line}`);
        const ns = BigInt(match[1]);
        assert.equal(match[2], isoNs(ns));
        assert.match(match[2], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
        assert.equal(match[3], String(i));
        assert.ok(ns >= before && ns >= previous, "live entries, in order");
        assert.equal(match[4].split(", ").length, 6);
        previous = ns;
      });
    });

    await t.step(
      "subscribe --hz prints figures once a second and a summary; Ctrl-C exits 0 quietly",
      async () => {
        const [program, ...leading] = AUKI_EDGE;
        const child = new Deno.Command(program, {
          args: [
            ...leading,
            "subscribe",
            address,
            "sim_joints",
            "--hz",
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const decoder = new TextDecoder();
        let out = "";
        const reading = child.stdout.pipeTo(
          new WritableStream({
            write: (chunk) => {
              out += decoder.decode(chunk, { stream: true });
            },
          }),
        );
        const errText = new Response(child.stderr).text();
        const until = Date.now() + 30_000;
        while ((out.match(/^rate /gm) ?? []).length < 2) {
          assert.ok(Date.now() < until, `no two --hz lines: ${out}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        child.kill("SIGINT");
        const { code } = await child.status;
        await reading;
        assert.equal(code, 0);
        assert.equal(await errText, "");
        const windows = lines(out).filter((l) => l.startsWith("rate "));
        for (const line of windows) {
          assert.match(
            line,
            /^rate \d+(\.\d)? Hz {2}bw [\d.]+ (B|KiB)\/s {2}jitter [\d.]+ ms {2}interval [\d.]+ ms\.\.[\d.]+ ms {2}gaps \d+ {2}lost 0$/,
          );
        }
        const rate = Number(/^rate (\S+) Hz/.exec(windows[1])![1]);
        assert.ok(rate > 60 && rate < 140, `joints at ${rate} Hz`);
        assert.match(
          lines(out).at(-1)!,
          /^summary: \d+ entries in [\d.]+ s {2}rate /,
        );
      },
    );

    await t.step("subscribe --json prints decoded entries", async () => {
      const result = await runCli([
        "subscribe",
        address,
        "sim_joints",
        "--count",
        "2",
        "--json",
        "--from",
        "start",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const out = lines(result.stdout).map((line) =>
        parseJson(line) as Record<string, unknown>
      );
      assert.equal(out.length, 2);
      out.forEach((entry, i) => {
        assert.deepEqual(Object.keys(entry), [
          "timestamp_ns",
          "seq",
          "payload",
        ]);
        assert.equal(entry.seq, i);
        assert.equal(
          typeof entry.timestamp_ns,
          "bigint",
          "a full-precision ns timestamp",
        );
        const angles = (entry.payload as { anglesRad: number[] }).anglesRad;
        assert.equal(angles.length, 6);
        // From the start: the simulator's first samples, exactly.
        const payload = new Uint8Array(2 + 4 * angles.length);
        payload.set([0x0a, 4 * angles.length]);
        const view = new DataView(payload.buffer);
        angles.forEach((a, j) => view.setFloat32(2 + 4 * j, a, true));
        assert.ok(isJointSample(payload, i), `sample ${i}`);
      });
    });

    await t.step(
      "subscribing to an unknown resource fails clearly",
      async () => {
        const result = await runCli([
          "subscribe",
          address,
          "no_such_sensor",
          "--count",
          "1",
        ]);
        assert.notEqual(result.code, 0);
        assert.equal(result.stdout, "");
        const errors = lines(result.stderr);
        assert.equal(errors.length, 1, result.stderr);
        assert.match(errors[0], /"[^"]+" declined with sensor_not_found/);
      },
    );
  } finally {
    await agent.stop();
  }
});
