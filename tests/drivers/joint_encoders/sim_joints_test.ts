import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DataSchema } from "../../../core/proto/gen/auki/joint_encoders_pb.ts";
import {
  jointAngles,
  MAX_ANGLE_RAD,
  MAX_SPEED_RAD_S,
  simJoints,
} from "../../../drivers/joint_encoders/sim_joints.ts";
import {
  assertPlausibleRun,
  configErrors,
  registryEntries,
  runFor,
} from "../fake_sink.ts";

Deno.test("sim.joints: default description is a valid registry entry", () => {
  const driver = simJoints.create(simJoints.config.parse({}));
  const { sensor, frame } = registryEntries(driver.description);
  assert.ok(sensor.kind === "joint_encoders");
  assert.equal(sensor.sensor_id, "sim_joints");
  assert.equal(sensor.type, "absolute");
  assert.equal(sensor.joint_count, 6);
  assert.equal(sensor.frame_rate_hz, 100);
  assert.equal(frame.frame_id, "base_link");
  assert.deepEqual(frame.axes, { x: "forward", y: "left", z: "up" });
  assert.equal(driver.description.payload, "joint_encoders_frame");
  assert.equal(driver.description.rateHz, 100);
  assert.equal(sensor.joint_offsets_rad, undefined, "no offsets configured");
  assert.equal(sensor.joint_directions, undefined);
});

Deno.test("sim.joints: configured offsets and directions are shown in the entry, padded to every joint", () => {
  const driver = simJoints.create(simJoints.config.parse({
    joint_count: 3,
    offsets_rad: [0.25, -0.5],
    directions: [1, -1],
  }));
  const { sensor } = registryEntries(driver.description);
  assert.ok(sensor.kind === "joint_encoders");
  assert.deepEqual(sensor.joint_offsets_rad, [0.25, -0.5, 0]);
  assert.deepEqual(sensor.joint_directions, [1, -1, 1]);
  const zero = simJoints.create(simJoints.config.parse({
    offsets_rad: [0, 0],
    directions: [1],
  }));
  const plain = registryEntries(zero.description).sensor;
  assert.ok(plain.kind === "joint_encoders");
  assert.equal(plain.joint_offsets_rad, undefined, "0 and 1 show nothing");
});

Deno.test("sim.joints: angles are deterministic and seed-dependent", () => {
  assert.deepEqual(jointAngles(1, 6, 250, 100), jointAngles(1, 6, 250, 100));
  assert.notDeepEqual(jointAngles(2, 6, 250, 100), jointAngles(1, 6, 250, 100));
  // A sample depends on its time, not on how many joints are simulated.
  assert.deepEqual(
    jointAngles(1, 3, 250, 100),
    jointAngles(1, 6, 250, 100).slice(0, 3),
  );
  // Same instant at another rate: same angles.
  assert.deepEqual(jointAngles(1, 6, 125, 50), jointAngles(1, 6, 250, 100));
});

Deno.test("sim.joints: motion is smooth, bounded and varied", () => {
  const rate = 100;
  let previous = jointAngles(7, 8, 0, rate);
  const low = previous.slice();
  const high = previous.slice();
  for (let index = 1; index <= 6000; index++) {
    const angles = jointAngles(7, 8, index, rate);
    assert.equal(angles.length, 8);
    angles.forEach((a, j) => {
      assert.ok(Math.abs(a) <= MAX_ANGLE_RAD, `joint ${j} at ${a}`);
      assert.ok(Math.abs(a - previous[j]) <= MAX_SPEED_RAD_S / rate);
      low[j] = Math.min(low[j], a);
      high[j] = Math.max(high[j], a);
    });
    previous = angles;
  }
  // Over a minute every joint sweeps a good part of its range.
  high.forEach((h, j) => assert.ok(h - low[j] > 0.5, `joint ${j} range`));
});

Deno.test("sim.joints: a real run delivers samples at 100 Hz", async () => {
  const config = simJoints.config.parse({ joint_count: 4, seed: 3 });
  const sink = await runFor(simJoints.create(config), 300);
  assertPlausibleRun(sink, 100, 300);
  sink.samples.forEach(({ payload }, k) => {
    const { anglesRad } = fromBinary(DataSchema, payload);
    assert.deepEqual(anglesRad, jointAngles(3, 4, k, 100).map(Math.fround));
    const expected = create(DataSchema, {
      anglesRad: jointAngles(3, 4, k, 100),
    });
    assert.deepEqual(payload, toBinary(DataSchema, expected));
  });
});

Deno.test("sim.joints: bad configuration is rejected with clear messages", () => {
  assert.match(
    configErrors(simJoints, { joint_count: 0 }),
    /joint_count: must be at least 1/,
  );
  assert.match(
    configErrors(simJoints, { joint_count: 2.5 }),
    /joint_count: must be a whole number/,
  );
  assert.match(
    configErrors(simJoints, { rate_hz: "fast" }),
    /rate_hz: .*expected number/,
  );
  assert.match(
    configErrors(simJoints, { joints: 6 }),
    /Unrecognized key.*joints/,
  );
});
