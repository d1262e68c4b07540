import assert from "node:assert/strict";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { UwbFrameSchema } from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import {
  DEFAULT_ANCHORS,
  distance,
  POSITION_NOISE_M,
  RANGE_NOISE_M,
  simulateUwb,
  simUwb,
  tagPosition,
} from "../../../drivers/rf/sim_uwb.ts";
import {
  assertPlausibleRun,
  configErrors,
  registryEntries,
  runFor,
} from "../fake_sink.ts";

const encoded = (seed: number, index: number) =>
  toBinary(UwbFrameSchema, simulateUwb(seed, DEFAULT_ANCHORS, index, 10));

Deno.test("sim.uwb: default description is a valid registry entry", () => {
  const driver = simUwb.create(simUwb.config.parse({}));
  const { sensor, frame } = registryEntries(driver.description);
  assert.deepEqual(sensor, {
    peer_id: sensor.peer_id,
    sensor_id: "sim_uwb",
    kind: "rf",
    type: "uwb",
    frame: { peer_id: sensor.peer_id, id: "uwb_area", hash: "0".repeat(32) },
  });
  assert.equal(frame.frame_id, "uwb_area");
  assert.deepEqual(frame.axes, { x: "forward", y: "left", z: "up" });
  assert.equal(driver.description.payload, "auki_edge.rf.uwb");
  assert.equal(driver.description.rateHz, 10);
});

Deno.test("sim.uwb: default anchors are the room corners at 2.5 m", () => {
  const { anchors } = simUwb.config.parse({});
  assert.deepEqual(anchors, DEFAULT_ANCHORS);
  assert.deepEqual(anchors.map((a) => [a.x, a.y, a.z]), [
    [0, 0, 2.5],
    [8, 0, 2.5],
    [8, 6, 2.5],
    [0, 6, 2.5],
  ]);
  assert.deepEqual(anchors.map((a) => a.id), [
    "0x1A01",
    "0x1A02",
    "0x1A03",
    "0x1A04",
  ]);
});

Deno.test("sim.uwb: cycles are deterministic and seed-dependent", () => {
  assert.deepEqual(encoded(1, 5), encoded(1, 5));
  assert.notDeepEqual(encoded(2, 5), encoded(1, 5));
  assert.notDeepEqual(encoded(1, 6), encoded(1, 5));
});

Deno.test("sim.uwb: ranges and position match the geometry within noise", () => {
  for (let index = 0; index < 400; index += 7) {
    const tag = tagPosition(index / 10);
    assert.equal(tag.z, 1);
    assert.ok(tag.x > 0 && tag.x < 8 && tag.y > 0 && tag.y < 6);
    const frame = fromBinary(UwbFrameSchema, encoded(4, index));
    assert.equal(frame.ranges.length, 4);
    frame.ranges.forEach((range, i) => {
      const anchor = DEFAULT_ANCHORS[i];
      assert.equal(range.anchorId, anchor.id);
      const error = range.distanceM - distance(tag, anchor);
      assert.ok(Math.abs(error) < 5 * RANGE_NOISE_M, `range error ${error}`);
      assert.ok(range.quality >= 0 && range.quality <= 100);
      assert.deepEqual(
        [
          range.anchorPosition?.x,
          range.anchorPosition?.y,
          range.anchorPosition?.z,
          range.anchorPosition?.quality,
        ],
        [anchor.x, anchor.y, anchor.z, 100],
        "the anchor's surveyed position",
      );
    });
    const position = frame.position!;
    for (const axis of ["x", "y", "z"] as const) {
      const error = position[axis] - tag[axis];
      assert.ok(Math.abs(error) < 5 * POSITION_NOISE_M, `${axis} ${error}`);
    }
    assert.ok(position.quality > 50 && position.quality <= 100);
  }
});

Deno.test("sim.uwb: the tag moves", () => {
  assert.notDeepEqual(tagPosition(0), tagPosition(0.1));
  const step = distance(tagPosition(0), tagPosition(0.1));
  assert.ok(step > 0 && step < 0.2, `${step} m in 0.1 s`);
});

Deno.test("sim.uwb: custom anchors are ranged in order", () => {
  const anchors = [
    { id: "A", x: 1, y: 1, z: 2 },
    { id: "B", x: 5, y: 1, z: 2 },
  ];
  const config = simUwb.config.parse({ anchors });
  const frame = simulateUwb(1, config.anchors, 0, 10);
  assert.deepEqual(frame.ranges.map((r) => r.anchorId), ["A", "B"]);
});

Deno.test("sim.uwb: a real run delivers cycles at 10 Hz", async () => {
  const sink = await runFor(simUwb.create(simUwb.config.parse({})), 400);
  assertPlausibleRun(sink, 10, 400);
  sink.samples.forEach(({ payload }, k) => {
    assert.deepEqual(payload, encoded(1, k));
  });
});

Deno.test("sim.uwb: bad configuration is rejected with clear messages", () => {
  assert.match(
    configErrors(simUwb, { rate_hz: -1 }),
    /rate_hz: must be greater than 0 Hz/,
  );
  assert.match(
    configErrors(simUwb, { anchors: [] }),
    /anchors: must list at least one anchor/,
  );
  const twice = { id: "A", x: 0, y: 0, z: 0 };
  assert.match(
    configErrors(simUwb, { anchors: [twice, twice] }),
    /anchors: anchor ids must be unique/,
  );
  assert.match(
    configErrors(simUwb, { anchors: [{ id: "A", x: 0, y: 0 }] }),
    /anchors\.0\.z/,
  );
  assert.match(
    configErrors(simUwb, { anchors: [{ id: "A", x: 0, y: 0, z: 0, w: 1 }] }),
    /Unrecognized key.*w/,
  );
});
