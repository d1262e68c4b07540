import assert from "node:assert/strict";
import type { SensorDescription } from "../../../drivers/driver.ts";
import {
  type AsyncTickSource,
  MAX_TICKS_IN_FLIGHT,
  tickingDriver,
} from "../../../drivers/sim/ticking_driver.ts";
import { RecordingSink, runFor, utcContext } from "../fake_sink.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { delay } from "../../helpers/wait.ts";

const description: SensorDescription = {
  sensor: {
    sensor_id: "test",
    kind: "scalar",
    type: "t",
    unit: "u",
    expected_rate_hz: 50,
  },
  frame: {
    frame_id: "test_link",
    handedness: "right",
    axes: { x: "forward", y: "left", z: "up" },
    units: "meters",
  },
  payload: "scalar",
  rateHz: 50,
};

Deno.test("tickingDriver: produces tick indices in order after online", async () => {
  const sink = await runFor(
    tickingDriver(description, (index) => Uint8Array.of(index)),
    100,
  );
  assert.equal(sink.events[0].kind, "online");
  assert.deepEqual(
    sink.samples.map((s) => s.payload[0]),
    sink.samples.map((_, k) => k),
  );
  assert.ok(sink.samples.length >= 4);
});

Deno.test("tickingDriver: stops producing when stopped, and can restart", async () => {
  const driver = tickingDriver(description, () => new Uint8Array(1));
  const sink = new RecordingSink();
  await driver.start(sink, utcContext);
  await assert.rejects(driver.start(sink, utcContext), /already started/);
  await delay(50);
  await driver.stop();
  const count = sink.samples.length;
  await delay(50);
  assert.equal(sink.samples.length, count);
  await driver.start(sink, utcContext);
  await driver.stop();
  assert.equal(sink.events.filter((e) => e.kind === "online").length, 2);
});

Deno.test("tickingDriver: a sink may stop the driver from inside a sample", async () => {
  const driver = tickingDriver(description, () => new Uint8Array(1));
  const sink = new RecordingSink();
  const sample = sink.sample.bind(sink);
  sink.sample = (payload, timestampNs) => {
    sample(payload, timestampNs);
    driver.stop();
  };
  await driver.start(sink, utcContext);
  await delay(60);
  assert.equal(sink.samples.length, 1);
});

Deno.test("tickingDriver: a failing producer takes the sensor offline", async () => {
  const driver = tickingDriver(description, (index) => {
    if (index === 2) throw new Error("device unplugged");
    return new Uint8Array(1);
  });
  const sink = new RecordingSink();
  await driver.start(sink, utcContext);
  await delay(100);
  assert.equal(sink.samples.length, 2);
  assert.deepEqual(sink.events.at(-1), {
    kind: "offline",
    reason: "producer_error",
    detail: "device unplugged",
  });
  await driver.stop();
});

/** An async source whose payloads resolve when the test says so. */
class ManualSource implements AsyncTickSource {
  readonly asked: number[] = [];
  readonly pending = new Map<number, PromiseWithResolvers<Uint8Array>>();
  opened = 0;
  closed = 0;
  open(): Promise<void> {
    this.opened++;
    return Promise.resolve();
  }
  produce(index: number): Promise<Uint8Array> {
    this.asked.push(index);
    const payload = Promise.withResolvers<Uint8Array>();
    this.pending.set(index, payload);
    return payload.promise;
  }
  close(): void {
    this.closed++;
  }
  resolve(index: number): void {
    this.pending.get(index)!.resolve(Uint8Array.of(index));
  }
}

/** A driver context on a fake clock whose logger keeps its lines. */
function recordingContext() {
  const logger = new MemoryLogger();
  let now = 0n;
  return { logger, context: { now: () => (now += 1000n), logger } };
}

Deno.test("tickingDriver: async payloads are delivered in tick order with their tick's timestamp", async () => {
  const source = new ManualSource();
  const driver = tickingDriver(description, source);
  const sink = new RecordingSink();
  const { context } = recordingContext();
  await driver.start(sink, context);
  assert.equal(source.opened, 1);
  while (source.asked.length < 2) await delay(5);
  // The second payload is ready first: it waits for the first.
  source.resolve(1);
  await delay(1);
  assert.equal(sink.samples.length, 0);
  source.resolve(0);
  await delay(1);
  assert.deepEqual(sink.samples.map((s) => s.payload[0]), [0, 1]);
  assert.deepEqual(sink.samples.map((s) => s.timestampNs), [1000n, 2000n]);
  await driver.stop();
  assert.equal(source.closed, 1);
});

Deno.test("tickingDriver: ticks beyond the payloads in flight are skipped, with a warning", async () => {
  const source = new ManualSource();
  const driver = tickingDriver(description, source);
  const sink = new RecordingSink();
  const { context, logger } = recordingContext();
  await driver.start(sink, context);
  await delay(100); // about 5 ticks at 50 Hz, none answered
  assert.equal(source.asked.length, MAX_TICKS_IN_FLIGHT);
  assert.match(
    logger.lines.find((l) => l.startsWith("WARN ")) ?? "",
    /^WARN frame 2 skipped: rendering is 2 frames behind/,
  );
  source.resolve(0);
  source.resolve(1);
  while (source.asked.length < MAX_TICKS_IN_FLIGHT + 1) await delay(5);
  // Skipped ticks are gone: the next payload asked for is a later tick.
  assert.ok(source.asked[2] > 2);
  assert.deepEqual(sink.samples.map((s) => s.payload[0]), [0, 1]);
  await driver.stop();
});

Deno.test("tickingDriver: a failing async payload takes the sensor offline; after stop nothing arrives", async () => {
  const source = new ManualSource();
  const driver = tickingDriver(description, source);
  const sink = new RecordingSink();
  const { context, logger } = recordingContext();
  await driver.start(sink, context);
  while (source.asked.length < 2) await delay(5);
  source.pending.get(0)!.reject(new Error("worker crashed"));
  await delay(1);
  assert.deepEqual(sink.events.at(-1), {
    kind: "offline",
    reason: "producer_error",
    detail: "worker crashed",
  });
  assert.match(
    logger.lines.find((l) => l.startsWith("ERROR ")) ?? "",
    /^ERROR sample 0 failed: worker crashed/,
  );
  assert.equal(source.closed, 1);
  // A payload answered after the stop is dropped.
  source.resolve(1);
  await delay(1);
  assert.equal(sink.samples.length, 0);
  await driver.stop();
});

Deno.test("tickingDriver: a source that cannot open fails the start", async () => {
  const source = new ManualSource();
  source.open = () => Promise.reject(new Error("no worker"));
  const sink = new RecordingSink();
  await assert.rejects(
    tickingDriver(description, source).start(sink, utcContext),
    /no worker/,
  );
  assert.deepEqual(sink.events, []);
});
