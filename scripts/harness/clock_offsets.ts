/**
 * Clock figures of the cluster end-to-end tests and benchmarks: the entries
 * of an agent's time transform log, and the offset between two agents'
 * session clocks from their session → UTC logs, with an error bound.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import type { Libp2p } from "@libp2p/interface";
import { Subscription } from "../../agent/protocols/stream_consumer.ts";
import { untilAdmitted } from "../../cli/cluster_flags.ts";
import { TimeTransformEntrySchema } from "../../core/proto/gen/auki/time_transform_pb.ts";
import { catalogOf, type ClusterAgent } from "./cluster.ts";

/** One time transform entry. */
export interface TimeEntry {
  /** On the from-clock, ns. */
  atNs: bigint;
  /** To-clock minus from-clock, ns. */
  offsetNs: bigint;
  /** Claimed bound, ns. */
  uncertaintyNs: bigint;
}

/** Every retained entry of a time transform log of `agent`. */
export async function timeEntries(
  node: Libp2p,
  agent: ClusterAgent,
  resourceId: string,
): Promise<TimeEntry[]> {
  const rows = await catalogOf(node, agent);
  const row = rows.find((r) => r.resource_id === resourceId);
  assert.ok(row, `${agent.label} has no ${resourceId}`);
  const count = Number(row.available.entries);
  const sub = await untilAdmitted(() =>
    Subscription.open(node, agent.address, {
      resourceId,
      from: { kind: "start" },
    }, { timeoutMs: 10_000 })
  );
  const entries: TimeEntry[] = [];
  try {
    const signal = AbortSignal.timeout(10_000);
    for await (const entry of sub.entries(signal)) {
      const payload = fromBinary(TimeTransformEntrySchema, entry.payload);
      entries.push({
        atNs: entry.timestampNs,
        offsetNs: payload.offsetNs,
        uncertaintyNs: BigInt(payload.uncertaintyNs),
      });
      if (entries.length >= count) break;
    }
  } finally {
    sub.close();
  }
  return entries;
}

/** Absolute value of a bigint. */
export const abs = (x: bigint): bigint => x < 0n ? -x : x;

/** What two interpolated clock readings may disagree by beyond their uncertainty. */
const CLOCK_SLACK_NS = 20_000n;

interface UtcPoint {
  /** UTC at the sample. */
  utc: bigint;
  /** UTC minus session clock. */
  v: bigint;
  /** The sample's uncertainty. */
  unc: bigint;
}

function utcPoints(entries: TimeEntry[]): UtcPoint[] {
  return entries.map((e) => ({
    utc: e.atNs + e.offsetNs,
    v: e.offsetNs,
    unc: e.uncertaintyNs,
  })).sort((x, y) => x.utc < y.utc ? -1 : x.utc > y.utc ? 1 : 0);
}

function interpolate(
  points: UtcPoint[],
  utc: bigint,
): { v: bigint; unc: bigint } | undefined {
  for (let i = 0; i + 1 < points.length; i++) {
    const [p, q] = [points[i], points[i + 1]];
    if (p.utc <= utc && utc <= q.utc) {
      const span = q.utc - p.utc;
      const v = span === 0n ? p.v : p.v + (q.v - p.v) * (utc - p.utc) / span;
      return { v, unc: p.unc > q.unc ? p.unc : q.unc };
    }
  }
  return undefined;
}

/**
 * `b`'s session clock minus `a`'s (constant: both count CLOCK_MONOTONIC of
 * one machine), from their session → UTC logs, with an error bound.
 * REALTIME need not run at MONOTONIC's rate (it is slewed, sometimes by
 * milliseconds per second in virtual machines), so each log is interpolated
 * to the other's sample times rather than compared entry by entry.
 */
export function sessionOffset(
  a: TimeEntry[],
  b: TimeEntry[],
): { ns: bigint; boundNs: bigint } {
  const [pa, pb] = [utcPoints(a), utcPoints(b)];
  const estimates: { delta: bigint; unc: bigint }[] = [];
  for (const p of pa) {
    const q = interpolate(pb, p.utc);
    if (q) estimates.push({ delta: p.v - q.v, unc: p.unc + q.unc });
  }
  for (const q of pb) {
    const p = interpolate(pa, q.utc);
    if (p) estimates.push({ delta: p.v - q.v, unc: p.unc + q.unc });
  }
  assert.ok(estimates.length >= 2, "the two session → UTC logs overlap");
  const sorted = estimates.map((e) => e.delta).sort((x, y) =>
    x < y ? -1 : x > y ? 1 : 0
  );
  const ns = sorted[Math.floor(sorted.length / 2)];
  let bound = 0n;
  for (const e of estimates) {
    const spread = abs(e.delta - ns) + e.unc;
    if (spread > bound) bound = spread;
  }
  return { ns, boundNs: bound + CLOCK_SLACK_NS };
}
