/**
 * The agent's permission set (scripts/permissions.ts): deno.json's
 * long-running tasks and the README spell exactly it, and an agent with the
 * four simulators, a native reference driver and (with socat) an LD06 on a
 * pty serves every sensor under it, with `calibrate clock` reaching
 * `timedatectl`. A missing permission is a failure, never a prompt
 * (`--no-prompt`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withClient } from "../../cli/client.ts";
import { Subscription } from "../../agent/protocols/stream_consumer.ts";
import { AGENT_PERMISSIONS } from "../../scripts/permissions.ts";
import { requestResources } from "../../agent/protocols/resources.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import { assertSequence, collect, SMALL_SIMS } from "../e2e/_helpers.ts";
import { delay } from "../helpers/wait.ts";
import { ffiTest } from "../ffi/_libs.ts";
import { SOCAT } from "../helpers/serial.ts";
import { LD06_BAUD } from "../../drivers/rangefinder/ld06.ts";
import { ld06Source } from "../../drivers/rangefinder/ld06_device_sim.ts";
import { PtyPair } from "../../drivers/serial/pty_pair.ts";
import { SimulatedPort } from "../../drivers/serial/device_sim_port.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = join(ROOT, "main.ts");
const DENIED = /NotCapable|PermissionDenied|Requires \w+ access/;

/** A simulated LD06 on the device end of a pty pair in `dir`; the agent opens `port`. */
async function startLd06(dir: string) {
  const pair = await PtyPair.start(join(dir, "ld06-device"), join(dir, "ld06"));
  const sim = new SimulatedPort({
    path: pair.device,
    baudRate: LD06_BAUD,
    source: ld06Source(),
    peer: pair.host,
  });
  sim.start();
  return {
    port: pair.host,
    async stop() {
      await sim.stop();
      await pair.unplug();
    },
  };
}

Deno.test("permissions: deno.json's start, relay, discovery and calibrate tasks, and the README, spell exactly the agent's flags", async () => {
  const { tasks } = JSON.parse(
    await Deno.readTextFile(join(ROOT, "deno.json")),
  ) as { tasks: Record<string, { command: string }> };
  const names = Object.keys(tasks).filter((name) =>
    ["start", "relay", "discovery"].includes(name) ||
    name.startsWith("calibrate:")
  );
  assert.equal(names.length, 8, `tasks: ${names}`);
  for (const name of names) {
    const words = tasks[name].command.split(" ");
    assert.deepEqual(words.slice(0, 2), ["deno", "run"], name);
    assert.deepEqual(
      words.slice(2, words.indexOf("main.ts")),
      [...AGENT_PERMISSIONS],
      name,
    );
  }
  assert.ok(!AGENT_PERMISSIONS.some((flag) => /^(-A|--allow-all)$/.test(flag)));
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  assert.ok(
    readme.includes(`\n${AGENT_PERMISSIONS.join(" ")}\n`),
    "README.md's Permissions section spells other flags",
  );
  assert.ok(AGENT_PERMISSIONS.includes("--no-prompt"));
});

ffiTest(
  `permissions: the four simulators, a native driver and a serial LD06 stream, and calibrate clock runs timedatectl, under exactly the agent's flags${
    SOCAT ? "" : " (serial part skipped: socat is not installed)"
  }`,
  async () => {
    const bin = await Deno.makeTempDir();
    const ld06 = SOCAT ? await startLd06(bin) : undefined;
    const agent = await startAgent({
      command: [Deno.execPath(), "run", ...AGENT_PERMISSIONS, MAIN],
      config: {
        sensors: [
          ...SMALL_SIMS.sensors,
          { driver: "native", id: "ref_joints", library: "ref_joints" },
          ...(ld06
            ? [{ driver: "serial.ld06", id: "ld06", port: ld06.port }]
            : []),
        ],
      },
    }).catch(async (error) => {
      await ld06?.stop();
      throw error;
    });
    const ready = Date.now();
    try {
      const ids = [
        "sim_camera",
        "sim_lidar",
        "sim_uwb",
        "sim_joints",
        "ref_joints",
        ...(ld06 ? ["ld06"] : []),
      ];
      await withClient(async (node) => {
        for (let tries = 0;; tries++) {
          const rows = await requestResources(node, agent.address);
          if (ids.every((id) => rows.some((r) => r.resource_id === id))) break;
          if (tries === 100) {
            assert.fail(
              `not every one of ${ids} is online; have ${
                rows.map((r) => r.resource_id)
              }:\n${agent.stderr()}`,
            );
          }
          await delay(100);
        }
        for (const resourceId of ids) {
          const sub = await Subscription.open(node, agent.address, {
            resourceId,
          }, { timeoutMs: 10_000 });
          try {
            assertSequence(await collect(sub, 2), resourceId);
          } finally {
            sub.close();
          }
        }
      });

      // calibrate clock fits at least 2 of the 1 Hz clock heartbeats.
      await delay(ready + 2_500 - Date.now());
      // A timedatectl that says "yes": its answer arrives only if it may run.
      const timedatectl = join(bin, "timedatectl");
      await Deno.writeTextFile(timedatectl, "#!/bin/sh\necho yes\n");
      await Deno.chmod(timedatectl, 0o755);
      const clock = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...AGENT_PERMISSIONS,
          MAIN,
          "calibrate",
          "clock",
          agent.address.toString(),
          "--window",
          "3",
          "--json",
        ],
        env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stderr = new TextDecoder().decode(clock.stderr);
      assert.equal(clock.code, 0, stderr);
      assert.doesNotMatch(stderr, DENIED);
      const report = JSON.parse(new TextDecoder().decode(clock.stdout));
      assert.equal(report.system_clock.ntp_synchronized, true);
    } finally {
      const code = await agent.stop();
      await ld06?.stop();
      await Deno.remove(bin, { recursive: true });
      assert.equal(code, 0, agent.stderr());
      assert.doesNotMatch(agent.stderr(), DENIED);
    }
  },
);
