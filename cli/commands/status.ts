/**
 * `auki-edge status`: the running agent's addresses, cluster, relay
 * reservations and each sensor's health and rates, read from its storage's
 * status file.
 *
 * @module
 */
import { defaultStorage } from "../../agent/config.ts";
import { type AgentStatus, readStatus } from "../../agent/status_file.ts";
import { parseCommand } from "../args.ts";
import { humanBandwidth, humanRate } from "../units.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge status [--storage DIR] [--json]

Shows what the agent running on a storage root is doing: its peer id and
addresses, its cluster, each relay reservation (relay, state, circuit
address, expiry or the next retry and why the last attempt failed), and each
sensor's state, rate, bandwidth and errors (offline ones with the reason).
The same facts are served as JSON at the agent's /api/status.

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
  if (status.sensors.length > 0) lines.push("sensors", ...sensorLines(status));
  output.out(lines.join("\n"));
  return 0;
}

/** One aligned line per sensor: id, kind, state, rate, bandwidth, errors. */
function sensorLines(status: AgentStatus): string[] {
  const rows = status.sensors.map((s) => [
    s.resource_id,
    s.type === "" ? s.kind : `${s.kind}/${s.type}`,
    s.online ? "online" : "offline",
    humanRate(s.rate_hz),
    humanBandwidth(s.bytes_per_second),
    `${s.device_errors + s.record_errors} errors`,
    s.online ? "" : s.reason ?? "",
  ]);
  const widths = rows[0].map((_, i) =>
    Math.max(...rows.map((row) => row[i].length))
  );
  return rows.map((row) =>
    `  ${row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()}`
  );
}
