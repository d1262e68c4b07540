/**
 * Shared helpers of the end-to-end tests: agent configurations, reading
 * entries from subscriptions with deadlines, raw protocol probes, and
 * matching payloads against the simulators' pure functions.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { encodeFrame } from "../../core/codec/framing.ts";
import {
  encodeStreamMessage,
  STREAM_LIMITS,
} from "../../agent/protocols/stream_messages.ts";
import type { ResourceEntry } from "../../agent/catalog/resource_entry.ts";
import type {
  ReceivedEntry,
  Subscription,
} from "../../agent/protocols/stream_consumer.ts";
import { JointEncodersDataSchema } from "../../core/proto/payload_schemas.ts";
import { jointAngles } from "../../drivers/joint_encoders/sim_joints.ts";

/** The four simulators with a small camera, so tests stay light. */
export const SMALL_SIMS = {
  sensors: [
    { driver: "sim.camera", width: 64, height: 48 },
    { driver: "sim.lidar2d" },
    { driver: "sim.uwb" },
    { driver: "sim.joints" },
  ],
};

/** Now on the UTC clock, ns (millisecond resolution, never ahead of the agent's reading). */
export function utcNowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/**
 * Reads entries until `done(received)` says so; throws (naming how many were
 * read) when the subscription ends first or `timeoutMs` passes. The
 * subscription stays open.
 */
export async function collectUntil(
  sub: Subscription,
  done: (received: ReceivedEntry[]) => boolean,
  timeoutMs = 10_000,
): Promise<ReceivedEntry[]> {
  const received: ReceivedEntry[] = [];
  if (done(received)) return received;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for await (const entry of sub.entries(signal)) {
      received.push(entry);
      if (done(received)) return received;
    }
  } catch (error) {
    if (signal.aborted) {
      throw new Error(
        `${sub.manifest.resourceId}: only ${received.length} entries within ${timeoutMs} ms`,
      );
    }
    throw error;
  }
  throw new Error(
    `${sub.manifest.resourceId}: subscription ended (${sub.end?.kind} ${sub.end?.detail}) after ${received.length} entries`,
  );
}

/** Reads exactly `count` entries (see {@link collectUntil}). */
export function collect(
  sub: Subscription,
  count: number,
  timeoutMs = 10_000,
): Promise<ReceivedEntry[]> {
  return collectUntil(sub, (r) => r.length >= count, timeoutMs);
}

/** Asserts `seq` runs 0, 1, 2, ... and timestamps never go back. */
export function assertSequence(entries: ReceivedEntry[], what: string): void {
  entries.forEach((entry, i) => {
    assert.equal(entry.seq, BigInt(i), `${what}: seq of entry ${i}`);
    if (i > 0) {
      assert.ok(
        entry.timestampNs >= entries[i - 1].timestampNs,
        `${what}: timestamp of entry ${i} went back`,
      );
    }
  });
}

/** The row with `resource_id` (or of `variant`), failing when absent. */
export function rowOf(
  rows: ResourceEntry[],
  match: { id?: string; variant?: string },
): ResourceEntry {
  const row = rows.find((r) =>
    (match.id === undefined || r.resource_id === match.id) &&
    (match.variant === undefined || r.variant === match.variant)
  );
  assert.ok(row, `no catalog row ${JSON.stringify(match)}`);
  return row;
}

/** The default `sim.joints` settings (seed 1, 6 joints, 100 Hz). */
export const JOINTS = { seed: 1, count: 6, rateHz: 100 };

/** Whether a joints payload holds exactly sample `index` of the default simulator. */
export function isJointSample(payload: Uint8Array, index: number): boolean {
  const { anglesRad } = fromBinary(JointEncodersDataSchema, payload);
  const expected = jointAngles(JOINTS.seed, JOINTS.count, index, JOINTS.rateHz);
  return anglesRad.length === expected.length &&
    expected.every((a, j) => Math.fround(a) === anglesRad[j]);
}

/**
 * The simulator sample index of a joints payload, searched in
 * `[0, maxIndex]`; `undefined` when no index matches.
 */
export function jointSampleIndex(
  payload: Uint8Array,
  maxIndex: number,
): number | undefined {
  for (let k = 0; k <= maxIndex; k++) {
    if (isJointSample(payload, k)) return k;
  }
  return undefined;
}

/** How a raw probe's substream ended. */
export interface ProbeResult {
  /** Bytes the agent wrote back. */
  received: number;
  /** `reset`: aborted by the agent; `closed`: the agent closed its side; `open`: nothing within the wait. */
  end: "reset" | "closed" | "open";
  /** Milliseconds from sending to the end (or the wait). */
  ms: number;
}

/**
 * Opens `protocol` on a raw substream, writes `bytes`, optionally closes the
 * writing side, and reports what the agent did within `waitMs`. The
 * substream is aborted afterwards if still open.
 */
export async function probe(
  node: Libp2p,
  target: Multiaddr,
  protocol: string,
  bytes: Uint8Array,
  options: { closeWrite?: boolean; waitMs?: number } = {},
): Promise<ProbeResult> {
  const stream = await node.dialProtocol(target, protocol, {
    signal: AbortSignal.timeout(5_000),
  });
  let received = 0;
  const ended = Promise.withResolvers<"reset" | "closed">();
  stream.addEventListener("message", (event) => {
    received += event.data.byteLength;
  });
  stream.addEventListener("remoteCloseWrite", () => ended.resolve("closed"));
  stream.addEventListener(
    "close",
    (event) => ended.resolve(event.error === undefined ? "closed" : "reset"),
  );
  // The agent may have reset it while it was being negotiated.
  if (stream.status === "reset" || stream.status === "aborted") {
    ended.resolve("reset");
  }
  const started = performance.now();
  try {
    if (bytes.byteLength > 0) stream.send(bytes);
  } catch {
    // The agent reset the substream as soon as it was negotiated.
  }
  if (options.closeWrite) await stream.close().catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const end = await Promise.race([
    ended.promise,
    new Promise<"open">((resolve) => {
      timer = setTimeout(() => resolve("open"), options.waitMs ?? 5_000);
    }),
  ]);
  clearTimeout(timer);
  const ms = performance.now() - started;
  if (stream.status === "open") stream.abort(new Error("probe done"));
  return { received, end, ms };
}

/** A frame around a text body. */
export function textFrame(text: string): Uint8Array {
  return encodeFrame(new TextEncoder().encode(text), { maxBytes: 1 << 24 });
}

/** A framed stream request for `resourceId` from the latest entry. */
export function streamRequestFrame(resourceId: string): Uint8Array {
  return encodeFrame(
    encodeStreamMessage({
      variant: {
        case: "request",
        value: { resourceId, readFrom: { case: "latest", value: {} } },
      },
    }),
    STREAM_LIMITS,
  );
}
