/**
 * Test helpers for sensor drivers: a recording sink, a short real run, and
 * registry validation of a driver's description.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FrameEntry, SensorEntry } from "../../core/registries/entries.ts";
import { silentLogger } from "../../core/logging.ts";
import type {
  DriverContext,
  DriverFactory,
  SensorDescription,
  SensorDriver,
  SensorSink,
} from "../../drivers/driver.ts";

/** What a {@link RecordingSink} saw, in order. */
export type SinkEvent =
  | { kind: "online" }
  | { kind: "sample"; payload: Uint8Array; timestampNs: bigint }
  | { kind: "pose"; output: number; payload: Uint8Array; timestampNs: bigint }
  | { kind: "offline"; reason: string; detail: string };

/** A sink that records every call. */
export class RecordingSink implements SensorSink {
  /** Calls received, in order. */
  readonly events: SinkEvent[] = [];
  /** Failed reads the sessions survived, as reported (not in {@link events}). */
  readonly readFailures: string[] = [];
  /** Records a failed read a session survived. */
  readFailure(detail: string): void {
    this.readFailures.push(detail);
  }
  /** Records a sample. */
  sample(payload: Uint8Array, timestampNs: bigint): void {
    this.events.push({ kind: "sample", payload, timestampNs });
  }
  /** Records a pose. */
  pose(output: number, payload: Uint8Array, timestampNs: bigint): void {
    this.events.push({ kind: "pose", output, payload, timestampNs });
  }
  /** Records going online. */
  online(): void {
    this.events.push({ kind: "online" });
  }
  /** Records going offline. */
  offline(reason: string, detail: string): void {
    this.events.push({ kind: "offline", reason, detail });
  }
  /** The recorded samples. */
  get samples(): { payload: Uint8Array; timestampNs: bigint }[] {
    return this.events.flatMap((e) => e.kind === "sample" ? [e] : []);
  }
  /** The recorded poses. */
  get poses(): { output: number; payload: Uint8Array; timestampNs: bigint }[] {
    return this.events.flatMap((e) => e.kind === "pose" ? [e] : []);
  }
}

/** A context reading the real UTC clock, logging nowhere. */
export const utcContext: DriverContext = {
  now: () => BigInt(Date.now()) * 1_000_000n,
  logger: silentLogger,
};

/** Runs `driver` for `ms` milliseconds, then stops it; returns the sink. */
export async function runFor(
  driver: SensorDriver,
  ms: number,
): Promise<RecordingSink> {
  const sink = new RecordingSink();
  await driver.start(sink, utcContext);
  await new Promise((resolve) => setTimeout(resolve, ms));
  await driver.stop();
  return sink;
}

const PEER = "12D3KooWSimulatedPeer";

/** Validates a description's sensor and frame as the agent registers them. */
export function registryEntries(
  description: SensorDescription,
): { sensor: SensorEntry; frame: FrameEntry } {
  const frame = FrameEntry.parse({ peer_id: PEER, ...description.frame });
  const sensor = SensorEntry.parse({
    ...description.sensor,
    peer_id: PEER,
    frame: { peer_id: PEER, id: frame.frame_id, hash: "0".repeat(32) },
  });
  return { sensor, frame };
}

/** Asserts a run of `ms` at `rateHz`: online first, about the right sample count, ordered times. */
export function assertPlausibleRun(
  sink: RecordingSink,
  rateHz: number,
  ms: number,
): void {
  assert.equal(sink.events[0]?.kind, "online");
  assert.equal(sink.events.filter((e) => e.kind === "online").length, 1);
  assert.ok(sink.events.every((e) => e.kind !== "offline"));
  const expected = Math.floor(ms * rateHz / 1000) + 1;
  const count = sink.samples.length;
  assert.ok(
    count >= expected - 2 && count <= expected + 1,
    `${count} samples in ${ms} ms at ${rateHz} Hz, expected about ${expected}`,
  );
  const times = sink.samples.map((s) => s.timestampNs);
  for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1]);
  const spanMs = Number(times[times.length - 1] - times[0]) / 1e6;
  assert.ok(
    Math.abs(spanMs - (count - 1) * 1000 / rateHz) < 100,
    `samples span ${spanMs} ms`,
  );
}

/** The issue messages (with paths) of a configuration that `factory` must reject. */
export function configErrors(factory: DriverFactory, input: unknown): string {
  const result = factory.config.safeParse(input);
  assert.ok(!result.success, `accepted ${JSON.stringify(input)}`);
  return result.error.issues
    .map((i) => `${i.path.join(".")}: ${i.message}`)
    .join("\n");
}
