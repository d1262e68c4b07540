/**
 * `auki-edge status` prints each sensor: online with its rate and bandwidth
 * or offline with the reason, the failed reads its sessions survived with
 * the last driver message, and the device a native driver names; the DMS
 * relay booking in each state; a status file of an older agent (no sensors,
 * no booking) still prints.
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
  relay_booking: null,
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

Deno.test("status: the relay booking reserved, waiting for a slot and failed", async () => {
  const storage = await Deno.makeTempDir();
  const relay = "/ip4/203.0.113.7/tcp/4002/p2p/12D3KooWRelay";
  const circuit = `${relay}/p2p-circuit/p2p/${STATUS.peer_id}`;
  const show = async (booking: AgentStatus["relay_booking"]) => {
    await Deno.writeTextFile(
      join(storage, "status.json"),
      JSON.stringify({ ...STATUS, sensors: [], relay_booking: booking }),
    );
    const result = await runCli(["status", "--storage", storage]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  try {
    assert.match(
      await show({
        state: "reserved",
        booking_id: "b-1",
        relay,
        circuit,
        lease_expires_at: "2026-12-03T13:00:00.000Z",
        authority_expires_at: "2026-12-03T12:10:00.000Z",
      }),
      new RegExp(
        `\nrelay booking b-1\n {2}reserved on ${relay}\n {2}circuit ${circuit}\n {2}lease until 2026-12-03T13:00:00.000Z\n {2}booking renewed before 2026-12-03T12:10:00.000Z\n$`,
      ),
    );
    assert.match(
      await show({
        state: "waiting_for_slot",
        booking_id: "b-1",
        relay: null,
        circuit: null,
        lease_expires_at: null,
        authority_expires_at: null,
      }),
      /\nrelay booking b-1\n {2}waiting for a slot\n$/,
    );
    assert.match(
      await show({
        state: "failed",
        booking_id: null,
        relay: null,
        circuit: null,
        lease_expires_at: null,
        authority_expires_at: null,
        error: "DMS POST /relay-bookings: HTTP 503",
        retry_at: "2026-12-03T12:00:04.000Z",
      }),
      /\nrelay booking \(none yet\)\n {2}failed: DMS POST \/relay-bookings: HTTP 503, retry at 2026-12-03T12:00:04.000Z\n$/,
    );
    const { relay_booking: _, ...older } = STATUS;
    await Deno.writeTextFile(
      join(storage, "status.json"),
      JSON.stringify(older),
    );
    const old = await runCli(["status", "--storage", storage]);
    assert.equal(old.code, 0, old.stderr);
    assert.doesNotMatch(old.stdout, /relay booking/);
  } finally {
    await Deno.remove(storage, { recursive: true });
  }
});
