import assert from "node:assert/strict";
import type { SensorDescription } from "../../../drivers/driver.ts";
import { tickingDriver } from "../../../drivers/sim/ticking_driver.ts";
import { RecordingSink, runFor, utcContext } from "../fake_sink.ts";

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

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
