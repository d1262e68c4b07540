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
import { flagValue, parseCommand } from "../args.ts";
import { parseTarget, withDevice, withDomainClient } from "../client.ts";
import { requestAuthResources } from "../../agent/genb/client.ts";
import { AUTH_FLAGS, AUTH_FLAGS_HELP, peerAccessOf } from "../auth_flags.ts";
import { humanBytes, humanRate } from "../units.ts";
import { CLUSTER_FLAGS, CLUSTER_FLAGS_HELP } from "../cluster_flags.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge catalog MULTIADDR [--json] [--variant VARIANT]...

Lists the resources a peer serves over /auki/resources/0.2.0 as a table that
fits 120 columns: resource id (long ids shortened with "…"; --json has them
in full), kind, entries and size retained, their rate over the retained span,
the span and the head (rolling retention or fixed).

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
  const { cluster, auth } = await peerAccessOf("catalog", values);
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

/** Width of the terminal the table is made to fit. */
const TABLE_WIDTH = 120;

/**
 * Renders catalog rows as an aligned text table within `width` columns:
 * long resource ids are shortened (the full ids are in `--json`), sizes
 * are human and RATE is the retained entries over their time span.
 */
export function table(rows: ResourceEntry[], width = TABLE_WIDTH): string {
  const header = [
    "RESOURCE",
    "KIND",
    "ENTRIES",
    "SIZE",
    "RATE",
    "SPAN",
    "HEAD",
  ];
  const cells = rows.map((r) => [
    r.resource_id,
    r.sensor ? `${r.sensor.kind}/${r.sensor.type}` : r.variant,
    r.available.entries.toString(),
    humanBytes(r.available.bytes),
    rateOf(r.available.entries, r.available.duration_ns),
    duration(r.available.duration_ns),
    r.head?.kind === "rolling"
      ? `rolling ${duration(r.head.retention_ns)}`
      : r.head?.kind === "fixed"
      ? "fixed"
      : r.state,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...cells.map((l) => l[i].length))
  );
  const rest = widths.slice(1).reduce((sum, w) => sum + w + 2, 0);
  widths[0] = Math.min(widths[0], Math.max(header[0].length, width - rest));
  for (const line of cells) line[0] = shortenId(line[0], widths[0]);
  return [header, ...cells]
    .map((l) => l.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

/**
 * `id` in at most `max` characters: long parts (peer ids, session ids)
 * cut to their head and tail, then to their head, then the middle of the
 * whole id elided.
 */
function shortenId(id: string, max: number): string {
  if (id.length <= max) return id;
  const parts = (keep: (part: string) => string) =>
    id.replace(/[^/>-]{17,}/g, keep);
  const headTail = parts((p) => `${p.slice(0, 6)}…${p.slice(-4)}`);
  if (headTail.length <= max) return headTail;
  const head = parts((p) => `${p.slice(0, 4)}…`);
  if (head.length <= max) return head;
  const side = Math.max(1, Math.floor((max - 1) / 2));
  return `${head.slice(0, side)}…${head.slice(head.length - side)}`;
}

function rateOf(entries: bigint, durationNs: bigint): string {
  if (entries < 2n || durationNs <= 0n) return "-";
  return humanRate(Number(entries - 1n) / (Number(durationNs) / 1e9));
}

function duration(ns: bigint): string {
  const s = Number(ns / 1_000_000n) / 1000;
  if (s < 120) return `${s.toFixed(1)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}
