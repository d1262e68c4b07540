/**
 * `auki-edge clusters --discovery URL`: the clusters a Discovery service
 * lists, as a table or the `{"clusters":[...]}` JSON with `--json`.
 *
 * @module
 */
import { DiscoveryClient } from "../../agent/cluster/discovery_client.ts";
import type { ClusterEntry } from "../../agent/cluster/discovery_types.ts";
import { realtimeNs } from "../../core/clocks/system_time.ts";
import { stringifyJson } from "../../core/codec/json.ts";
import { flagValue, parseCommand, UsageError } from "../args.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge clusters --discovery URL [--token TOKEN] [--json]

Lists the clusters a Discovery service knows, newest first.

Options:
  --discovery URL    the Discovery service, e.g. http://192.168.9.130:8080
  --token TOKEN      Authorization to send ("Bearer " is added when missing)
  --json             print {"clusters":[...]} instead of a table
  -h, --help         show this help
`;

/** Runs the clusters command; returns the exit code. */
export async function clustersCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "clusters",
    options: {
      discovery: { type: "string" },
      token: { type: "string" },
      json: { type: "boolean" },
    },
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  if (values.discovery === undefined) {
    throw new UsageError("clusters: --discovery URL is required");
  }
  const client = flagValue(
    "clusters",
    "discovery",
    values.discovery,
    (raw) => new DiscoveryClient(raw, { authorization: values.token }),
  );
  const clusters = await client.listClusters();
  output.out(
    values.json
      ? stringifyJson({ clusters })
      : clustersTable(clusters, realtimeNs()),
  );
  return 0;
}

/** Renders Discovery rows as an aligned text table; ages are relative to `nowNs`. */
export function clustersTable(rows: ClusterEntry[], nowNs: bigint): string {
  const header = [
    "NAME",
    "MANAGER",
    "ADDRESSES",
    "PEERS",
    "CREATED (UTC)",
    "LAST LIVENESS (age)",
  ];
  const lines = rows.map((r) => [
    r.name,
    r.manager_peer_id,
    r.manager_multiaddrs.length > 0 ? r.manager_multiaddrs.join(",") : "-",
    r.peer_count.toString(),
    utcSeconds(r.created_ns),
    `${age(nowNs - r.last_liveness_check_ns)} ago`,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => l[i].length))
  );
  return [header, ...lines]
    .map((l) => l.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

function utcSeconds(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(
    /\.\d{3}Z$/,
    "Z",
  );
}

function age(ns: bigint): string {
  const tenths = (ns > 0n ? ns : 0n) / 100_000_000n;
  return `${tenths / 10n}.${tenths % 10n}s`;
}
