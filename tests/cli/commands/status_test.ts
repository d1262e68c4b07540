/**
 * `auki-edge status` prints each sensor: online with its rate and bandwidth
 * or offline with the reason, the failed reads its sessions survived with
 * the last driver message, and the device a native driver names; a status
 * file of an older agent (no sensors) still prints.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { AgentStatus } from "../../../agent/status_file.ts";
import { runCli } from "../../../scripts/harness/agent_process.ts";

/** The rate figures of a sensor of `kind`. */
function figures(kind: string, rateHz: number, bytesPerSecond: number) {
  return {
    kind,
    type: "x",
    reason: null,
    expected_rate_hz: 100,
    rate_hz: rateHz,
    bytes_per_second: bytesPerSecond,
    samples: 10,
    bytes: 100,
    record_errors: 0,
    device_errors: 0,
  };
}

const STATUS: AgentStatus = {
  pid: Deno.pid,
  peer_id: "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw",
  multiaddrs: [],
  cluster: null,
  relays: [],
  sensors: [
    {
      id: "arm",
      online: true,
      read_failures: 3,
      last_read_failure: "aed_read failed: CAN frame lost",
      device: { model: "X-100", serial: "SN7" },
      ...figures("joint_encoders", 99.5, 2600),
    },
    {
      id: "cam",
      online: false,
      read_failures: 0,
      last_read_failure: null,
      ...figures("camera", 0, 0),
      reason: "device unplugged",
    },
  ],
  resources: [],
  connections: { direct: 0, relayed: 0 },
  members: [],
  domain_clock: null,
  process: {
    resident_memory_bytes: 1,
    cpu_seconds: 0,
    uptime_seconds: 1,
    event_loop_lag_seconds: 0,
  },
};

Deno.test("status: sensors with their failed reads and devices", async () => {
  const storage = await Deno.makeTempDir();
  try {
    const path = join(storage, "status.json");
    await Deno.writeTextFile(path, JSON.stringify(STATUS));
    const result = await runCli(["status", "--storage", storage]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /\nsensors\n {2}arm \(X-100 SN7\): online, 99\.5 Hz, 2\.54 KiB\/s, 3 failed reads survived \(last: aed_read failed: CAN frame lost\)\n {2}cam: offline \(device unplugged\)\n$/,
    );
    const { sensors: _, ...older } = STATUS;
    await Deno.writeTextFile(path, JSON.stringify(older));
    const old = await runCli(["status", "--storage", storage]);
    assert.equal(old.code, 0, old.stderr);
    assert.doesNotMatch(old.stdout, /sensors/);
  } finally {
    await Deno.remove(storage, { recursive: true });
  }
});
