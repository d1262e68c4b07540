/**
 * `--log-level` and `--log-format` on the long-running commands, run as real
 * processes: JSON logs parse line by line (with structured fields and, at
 * debug, libp2p's own logs), journald text has no timestamp, levels filter,
 * flags override the configuration file, and bad values exit 2.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli, startAgent } from "../../scripts/harness/agent_process.ts";
import {
  startDiscovery,
  startRelay,
  TempDirs,
} from "../../scripts/harness/cluster.ts";

const JOINTS = { sensors: [{ driver: "sim.joints" }] };

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

/** Every line as a JSON object with the four required fields. */
function jsonLines(stderr: string): Record<string, unknown>[] {
  const all = lines(stderr);
  assert.ok(all.length > 0, "some log lines");
  return all.map((line) => {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`not a JSON line: ${line}`);
    }
    for (const key of ["time", "level", "component", "message"]) {
      assert.equal(typeof value[key], "string", `${key} of ${line}`);
    }
    assert.ok(!Number.isNaN(Date.parse(value.time as string)), line);
    return value;
  });
}

Deno.test("run --log-format json --log-level debug: JSON lines with fields and libp2p's logs", async () => {
  const agent = await startAgent({
    config: JOINTS,
    args: ["--log-format", "json", "--log-level", "debug"],
  });
  let stderr: string;
  try {
    await agent.waitForStderr(/"component":"auki-edge\/libp2p"/, 10_000);
  } finally {
    assert.equal(await agent.stop(), 0);
    stderr = agent.stderr();
  }
  const objects = jsonLines(stderr);
  const serving = objects.find((o) => o.event === "serving");
  assert.ok(serving, "a serving line");
  assert.equal(serving.peer_id, agent.peerId);
  assert.ok(Array.isArray(serving.multiaddrs));
  const online = objects.find((o) => o.event === "online");
  assert.equal(online?.sensor_id, "sim_joints");
  const libp2p = objects.find((o) => o.component === "auki-edge/libp2p");
  assert.equal(libp2p?.level, "debug");
  assert.match(String(libp2p?.libp2p), /^libp2p/);
  assert.ok(objects.some((o) => o.message === "shutting down"));
});

Deno.test("the configuration's log_format and log_level apply; flags override them", async () => {
  const fromFile = await startAgent({
    config: { ...JOINTS, log_format: "json", log_level: "warn" },
    args: ["--log-level", "info"],
  });
  assert.equal(await fromFile.stop(), 0);
  const objects = jsonLines(fromFile.stderr());
  assert.ok(objects.some((o) => o.event === "serving"), "info lines (flag)");
  assert.ok(objects.every((o) => o.level !== "debug"));

  const overridden = await startAgent({
    config: { ...JOINTS, log_format: "json", log_level: "debug" },
    args: ["--log-format", "text", "--log-level", "warn"],
  });
  assert.equal(await overridden.stop(), 0);
  const text = lines(overridden.stderr());
  assert.ok(
    text.every((line) => !/ (INFO|DEBUG) /.test(line) && !line.startsWith("{")),
    `no info, debug or JSON lines:\n${overridden.stderr()}`,
  );
});

Deno.test("under journald (JOURNAL_STREAM) text lines have a priority and no timestamp", async () => {
  const agent = await startAgent({
    config: JOINTS,
    env: { JOURNAL_STREAM: "8:12345" },
  });
  assert.equal(await agent.stop(), 0);
  const all = lines(agent.stderr());
  assert.ok(
    all.some((line) =>
      line.startsWith(`<6>INFO  auki-edge: peer ${agent.peerId} serving`)
    ),
    agent.stderr(),
  );
  for (const line of all) {
    assert.match(line, /^<[3-7]>(ERROR|WARN |INFO |DEBUG) \S+: /, line);
    assert.doesNotMatch(line, /\d{4}-\d\d-\d\dT\d\d:\d\d/, line);
  }
});

Deno.test("relay and discovery write JSON lines too", async () => {
  const dirs = new TempDirs();
  try {
    const relay = await startRelay(await dirs.make(), {
      port: 0,
      args: ["--log-format", "json"],
    });
    await relay.stop();
    const relayLines = jsonLines(relay.stderr());
    const serving = relayLines.find((o) => o.event === "serving");
    assert.equal(serving?.peer_id, relay.peerId);
    assert.equal(serving?.component, "auki-edge/relay");

    const discovery = await startDiscovery(dirs, {
      args: ["--log-format", "json", "--log-level", "info"],
    });
    await discovery.stop();
    const discoveryLines = jsonLines(discovery.stderr());
    const listening = discoveryLines.find((o) => o.event === "serving");
    assert.equal(listening?.url, discovery.url);
    assert.equal(listening?.component, "auki-edge/discovery");
  } finally {
    await dirs.remove();
  }
});

Deno.test("bad logging flags exit 2 with one line naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["run", "--log-level", "loud"], /^auki-edge run: --log-level: "loud"/],
    [["relay", "--log-format", "xml"], /^auki-edge relay: --log-format: "xml"/],
    [
      ["discovery", "--log-level", "trace"],
      /^auki-edge discovery: --log-level: "trace"/,
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  results.forEach((result, i) => {
    const [args, pattern] = cases[i];
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    const errors = lines(result.stderr);
    assert.equal(errors.length, 1, result.stderr);
    assert.match(errors[0], pattern);
  });
});

Deno.test("the long-running commands' --help lists the logging flags", async () => {
  const commands = ["run", "relay", "discovery"];
  const results = await Promise.all(
    commands.map((command) => runCli([command, "--help"])),
  );
  results.forEach((result, i) => {
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /\n {2}--log-level LEVEL +error, warn, info \(default\) or debug;\n[\s\S]*\n {2}--log-format FORMAT +text \(default\) or json/,
      commands[i],
    );
  });
});
