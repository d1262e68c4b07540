/**
 * `auki-edge catalog MULTIADDR`: a peer's resources as a table, or the raw
 * `/auki/resources/0.2.0` response with `--json`.
 *
 * @module
 */
import { canonicalJson } from "../../core/codec/json.ts";
import type { ResourceEntry } from "../../agent/catalog/resource_entry.ts";
import { type Variant, VARIANTS } from "../../agent/catalog/resource_entry.ts";
import { requestResources } from "../../agent/protocols/resources.ts";
import { flagValue, parseCommand, UsageError } from "../args.ts";
import { parseTarget, withDevice, withDomainClient } from "../client.ts";
import { requestAuthResources } from "../../agent/genb/client.ts";
import { AUTH_FLAGS, AUTH_FLAGS_HELP, authSettingsOf } from "../auth_flags.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../cluster_flags.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge catalog MULTIADDR [--json] [--variant VARIANT]...

Lists the resources a peer serves over /auki/resources/0.2.0.

Arguments:
  MULTIADDR          the peer, e.g. /ip4/192.168.1.20/tcp/4001/p2p/12D3KooW...

Options:
  --json             print the raw response instead of a table
  --variant VARIANT  only rows of this variant (repeatable): ${
  VARIANTS.join(", ")
}
${CLUSTER_FLAGS_HELP}
${AUTH_FLAGS_HELP}
  -h, --help         show this help
`;

/** Runs the catalog command; returns the exit code. */
export async function catalogCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values, positionals } = parseCommand({
    name: "catalog",
    options: {
      json: { type: "boolean" },
      variant: { type: "string", multiple: true },
      ...CLUSTER_FLAGS,
      ...AUTH_FLAGS,
    },
    positionals: ["MULTIADDR"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const target = parseTarget("catalog", positionals[0]);
  const variants = (values.variant ?? []).map((v) =>
    flagValue("catalog", "variant", v, (raw) => {
      if (!(VARIANTS as readonly string[]).includes(raw)) {
        throw new Error(
          `unknown variant "${raw}" (expected ${VARIANTS.join(", ")})`,
        );
      }
      return raw as Variant;
    })
  );
  const auth = await authSettingsOf("catalog", values);
  const cluster = clusterOf("catalog", values);
  if (auth !== undefined && cluster !== undefined) {
    throw new UsageError(
      "catalog: --domain: cluster flags and domain flags cannot be mixed",
    );
  }
  const rows = auth !== undefined
    ? await withDomainClient(
      auth,
      (client) =>
        requestAuthResources(client.node, target, client.authority, variants),
    )
    : await withDevice(
      target,
      cluster,
      (device) =>
        device.request(() => requestResources(device.node, target, variants)),
    );
  output.out(values.json ? canonicalJson({ resources: rows }) : table(rows));
  return 0;
}

/** Renders catalog rows as an aligned text table. */
export function table(rows: ResourceEntry[]): string {
  const header = [
    "RESOURCE",
    "VARIANT",
    "SENSOR",
    "ENTRIES",
    "BYTES",
    "SPAN",
    "HEAD",
  ];
  const lines = rows.map((r) => [
    r.resource_id,
    r.variant,
    r.sensor ? `${r.sensor.kind}/${r.sensor.type}` : "-",
    r.available.entries.toString(),
    r.available.bytes.toString(),
    seconds(r.available.duration_ns),
    r.head?.kind === "rolling"
      ? `rolling ${seconds(r.head.retention_ns)}`
      : r.head?.kind === "fixed"
      ? "fixed"
      : r.state,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => l[i].length))
  );
  return [header, ...lines]
    .map((l) => l.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

function seconds(ns: bigint): string {
  return `${(Number(ns / 1_000_000n) / 1000).toFixed(1)}s`;
}
