/**
 * `auki-edge status`: the running agent's addresses, cluster, relay
 * reservations, DMS relay booking and each sensor's health, rates and
 * failed reads, read from its storage's status file.
 *
 * @module
 */
import { defaultStorage } from "../../agent/config.ts";
import { type AgentStatus, readStatus } from "../../agent/status_file.ts";
import type { RelayBookingStatus } from "../../agent/genb/booking_status.ts";
import { parseCommand } from "../args.ts";
import { humanBandwidth, humanRate } from "../units.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge status [--storage DIR] [--json]

Shows what the agent running on a storage root is doing: its peer id and
addresses, its cluster, each relay reservation (relay, state, circuit
address, expiry or the next retry and why the last attempt failed), the DMS
relay booking in gen-B mode (booking id; booking, waiting for a slot,
reserved or failed with the reason; the relay, the circuit address and the
relay's lease), and each sensor: online or not (offline ones with the reason), its rate and
bandwidth, the failed reads its sessions survived with the last driver
message, and the device a native driver names. The same facts are served
as JSON at the agent's /api/status.

Options:
  --storage DIR   the agent's storage root (default: ~/.auki/auki-edge)
  --json          print the status file as it is (what /api/status serves)
  -h, --help      show this help
`;

/** Whether process `pid` is running (Linux). */
async function running(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Runs the status command; returns the exit code (1 when no agent runs there). */
export async function statusCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "status",
    options: { storage: { type: "string" }, json: { type: "boolean" } },
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const storage = values.storage ?? defaultStorage();
  const status = await readStatus(storage);
  if (status === undefined || !await running(status.pid)) {
    output.err(`status: no agent is running on storage ${storage}`);
    return 1;
  }
  if (values.json) {
    output.out(JSON.stringify(status, null, 2));
    return 0;
  }
  const lines = [`peer      ${status.peer_id} (pid ${status.pid})`];
  const cluster = status.cluster;
  lines.push(
    cluster === null
      ? "cluster   none (standalone, or not joined yet)"
      : `cluster   ${cluster.name}: ${
        cluster.is_manager
          ? "Manager"
          : `member, Manager ${cluster.manager_peer_id}`
      }, ${cluster.members} members`,
  );
  lines.push("addresses");
  for (const addr of status.multiaddrs) lines.push(`  ${addr}`);
  if (status.relays.length > 0) lines.push("relays");
  for (const relay of status.relays) {
    lines.push(`  ${relay.relay}`);
    if (relay.state === "reserved") {
      lines.push(
        `    reserved${relay.expires_at ? ` until ${relay.expires_at}` : ""}`,
      );
      for (const circuit of relay.circuits) lines.push(`    ${circuit}`);
    } else {
      lines.push(
        `    ${relay.state}${
          relay.retry_at ? `, retry at ${relay.retry_at}` : ""
        }${relay.error ? `: ${relay.error}` : ""}`,
      );
    }
  }
  // A status file of an older agent has no booking.
  if (status.relay_booking) lines.push(...bookingLines(status.relay_booking));
  // A status file of an older agent has no sensors.
  const sensors = status.sensors ?? [];
  if (sensors.length > 0) lines.push("sensors", ...sensors.map(sensorLine));
  output.out(lines.join("\n"));
  return 0;
}

/** The relay booking: its id, state (with the reason of a failure), relay, circuit and lease. */
function bookingLines(booking: RelayBookingStatus): string[] {
  const relay = booking.relay ? ` on ${booking.relay}` : "";
  const state = {
    booking: "booking a relay slot",
    waiting_for_slot: `waiting for a slot${
      booking.relay ? ` (assigned${relay})` : ""
    }`,
    reserved: `reserved${relay}`,
    failed: `failed${relay}: ${booking.error ?? "unknown"}`,
  }[booking.state];
  const lines = [
    `relay booking ${booking.booking_id ?? "(none yet)"}`,
    `  ${state}${
      booking.state !== "failed" && booking.error
        ? `; last attempt failed: ${booking.error}`
        : ""
    }${booking.retry_at ? `, retry at ${booking.retry_at}` : ""}`,
  ];
  if (booking.circuit) lines.push(`  circuit ${booking.circuit}`);
  if (booking.lease_expires_at) {
    lines.push(`  lease until ${booking.lease_expires_at}`);
  }
  if (booking.authority_expires_at) {
    lines.push(`  booking renewed before ${booking.authority_expires_at}`);
  }
  return lines;
}

/** One line per sensor: state (or why not), rate and bandwidth, failed reads, device. */
function sensorLine(sensor: AgentStatus["sensors"][number]): string {
  const device = [sensor.device?.model, sensor.device?.serial]
    .filter((part) => part !== undefined).join(" ");
  const state = sensor.online
    ? `online${
      sensor.rate_hz === undefined
        ? ""
        : `, ${humanRate(sensor.rate_hz)}, ${
          humanBandwidth(sensor.bytes_per_second)
        }`
    }`
    : `offline${sensor.reason ? ` (${sensor.reason})` : ""}`;
  return `  ${sensor.id}${device ? ` (${device})` : ""}: ${state}${
    sensor.read_failures > 0
      ? `, ${sensor.read_failures} failed reads survived (last: ${sensor.last_read_failure})`
      : ""
  }${
    sensor.record_errors > 0
      ? `, ${sensor.record_errors} samples the log refused`
      : ""
  }`;
}
