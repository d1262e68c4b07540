/**
 * `auki-edge calibrate clock MULTIADDR`: the offset, drift and uncertainty
 * of the device's session clock against its UTC clock (its 1 Hz
 * `time_transform_log`) and, in a cluster, against the domain clock (its
 * session → `<cluster>/domain-clock` log), each a line fitted over a window;
 * and whether the device's system clock is disciplined (when run on it).
 * It only measures: nothing is saved.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { ResourceEntry } from "../../../agent/catalog/resource_entry.ts";
import { stringifyJson } from "../../../core/codec/json.ts";
import { TimeTransformEntrySchema } from "../../../core/proto/gen/auki/time_transform_pb.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { RegistryRef } from "../../../core/registries/entries.ts";
import { flagValue, parseCommand } from "../../args.ts";
import {
  type Device,
  parseTarget,
  timedEntries,
  withDevice,
} from "../../client.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../../cluster_flags.ts";
import {
  type ClockFit,
  type ClockSample,
  fitClock,
} from "../../../calibration/clock_fit.ts";
import { parseNumbers } from "./task_flags.ts";
import {
  type KernelClock,
  kernelClock,
  timedatectlSynchronized,
} from "./system_clock.ts";
import { type Output, STDIO } from "../../output.ts";

const HELP = `Usage: auki-edge calibrate clock MULTIADDR [options]

Fits offset(t) = offset + drift * t to the device's time transform logs over
the last window: session clock -> UTC, and session clock -> domain clock when
the device is in a cluster. Reports the offset now, the drift in ppm, the
residuals and the uncertainty each claims, and warns when this machine's
system clock is not disciplined (adjtimex STA_UNSYNC, maximum error,
timedatectl NTPSynchronized). Measures only: nothing is saved.

Options:
  --window S   seconds of history to fit (default 60; the logs keep 1 h)
  --json       print the report as JSON
  --dry-run    accepted as by every task; this one never changes anything
${CLUSTER_FLAGS_HELP}
  -h, --help   show this help
`;

/** A maximum error this large (µs) means the kernel clock is not being disciplined. */
const UNDISCIPLINED_MAX_ERROR_US = 500_000;

/** The report of one clock relation. */
export interface RelationReport extends ClockFit {
  /** The resource fitted. */
  resource_id: string;
  /** `utc` or `domain`. */
  relation: "utc" | "domain";
}

/** Runs `calibrate clock`; returns the exit code. */
export async function calibrateClockCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const name = "calibrate clock";
  const { values, positionals } = parseCommand({
    name,
    options: {
      window: { type: "string" },
      json: { type: "boolean" },
      "dry-run": { type: "boolean" },
      ...CLUSTER_FLAGS,
    },
    positionals: ["MULTIADDR"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const target = parseTarget(name, positionals[0]);
  const windowS = values.window === undefined
    ? 60
    : flagValue(name, "window", values.window, (r) => {
      const [s] = parseNumbers(r, 1);
      if (s <= 0) throw new Error("must be more than 0 seconds");
      return s;
    });
  const relations = await withDevice(
    target,
    clusterOf(name, values),
    (device) => measure(device, windowS),
  );
  const kernel = kernelClock();
  const ntp = await timedatectlSynchronized();
  const warnings = disciplineWarnings(kernel, ntp);
  if (values.json) {
    output.out(stringifyJson({
      relations,
      system_clock: { ...kernel, ntp_synchronized: ntp ?? null },
      warnings,
    }));
  } else {
    for (const r of relations) output.out(describe(r));
    output.out(
      `system clock: ${
        kernel.unsynchronized ? "not synchronized" : "synchronized"
      } (adjtimex state ${kernel.state}, max error ${
        (kernel.maxErrorUs / 1000).toFixed(1)
      } ms, estimated error ${
        (kernel.estErrorUs / 1000).toFixed(3)
      } ms, frequency ${
        kernel.frequencyPpm.toFixed(3)
      } ppm; timedatectl NTPSynchronized ${ntp ?? "unknown"})`,
    );
  }
  for (const warning of warnings) output.err(`${name}: warning: ${warning}`);
  return 0;
}

/** Why this machine's clock should not be trusted as UTC (empty when it can). */
export function disciplineWarnings(
  kernel: KernelClock,
  ntp: boolean | undefined,
): string[] {
  const warnings: string[] = [];
  if (kernel.unsynchronized) {
    warnings.push(
      "the kernel says the system clock is not synchronized (STA_UNSYNC): UTC timestamps may be off by any amount; run NTP, chrony or PTP",
    );
  } else if (kernel.maxErrorUs >= UNDISCIPLINED_MAX_ERROR_US) {
    warnings.push(
      `the system clock's maximum error is ${
        (kernel.maxErrorUs / 1e6).toFixed(1)
      } s: it is not being disciplined`,
    );
  }
  if (ntp === false) {
    warnings.push("timedatectl reports NTPSynchronized=no");
  }
  return warnings;
}

/** Fits every time transform log of the device's session clock. */
async function measure(
  device: Device,
  windowS: number,
): Promise<RelationReport[]> {
  const rows = await device.request(() =>
    requestResources(device.node, device.target, ["time_transform_log"])
  );
  const reports: RelationReport[] = [];
  for (const row of rows) {
    const relation = relationOf(row);
    if (relation === undefined) continue;
    const samples = await readSamples(device, row, windowS);
    reports.push({
      resource_id: row.resource_id,
      relation,
      ...fitClock(samples),
    });
  }
  if (reports.length === 0) {
    throw new Error(
      "the device serves no time transform log of its session clock",
    );
  }
  return reports;
}

/** Which relation a time transform row measures, if it is one of the session clock's. */
function relationOf(row: ResourceEntry): "utc" | "domain" | undefined {
  const from = RegistryRef.safeParse(row.manifest.from_clock);
  const to = RegistryRef.safeParse(row.manifest.to_clock);
  if (!from.success || !to.success || !from.data.id.endsWith("/monotonic")) {
    return undefined;
  }
  if (to.data.id.endsWith("/utc")) return "utc";
  if (to.data.id.endsWith("/domain-clock")) return "domain";
  return undefined;
}

/** The row's entries of the last `windowS` seconds (it lists how many it holds). */
async function readSamples(
  device: Device,
  row: ResourceEntry,
  windowS: number,
): Promise<ClockSample[]> {
  const held = Number(row.available.entries);
  const subscription = await device.subscribe(row.resource_id, {
    kind: "start",
  });
  const samples: ClockSample[] = [];
  if (held > 0) {
    for await (const entry of timedEntries(subscription, 5_000)) {
      const { offsetNs, uncertaintyNs } = fromBinary(
        TimeTransformEntrySchema,
        entry.payload,
      );
      samples.push({ timestampNs: entry.timestampNs, offsetNs, uncertaintyNs });
      if (samples.length >= held) break;
    }
  } else subscription.close();
  const newest = samples.at(-1)?.timestampNs ?? 0n;
  const from = newest - BigInt(Math.round(windowS * 1e9));
  return samples.filter((s) => s.timestampNs >= from);
}

function describe(r: RelationReport): string {
  const ms = (ns: number) => (ns / 1e6).toFixed(3);
  return [
    `${
      r.relation === "utc" ? "session -> UTC" : "session -> domain clock"
    } (${r.resource_id}), ${r.samples} samples over ${r.spanS.toFixed(1)} s:`,
    `  offset ${r.offsetNs} ns at session time ${r.atNs} ns, ± ${
      ms(r.offsetUncertaintyNs)
    } ms`,
    `  drift ${r.driftPpm.toFixed(3)} ± ${
      r.driftUncertaintyPpm.toFixed(3)
    } ppm`,
    `  residuals RMS ${ms(r.residualRmsNs)} ms, max ${
      ms(r.residualMaxNs)
    } ms; median read window ${ms(r.readUncertaintyNs)} ms`,
  ].join("\n");
}
