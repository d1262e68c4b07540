import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { DataSchema } from "../../../core/proto/gen/auki/point_cloud_pb.ts";
import {
  type LidarPoint,
  packPoints,
  POINT_STEP,
} from "../../../drivers/rangefinder/lidar2d.ts";
import {
  lidarPose,
  MAX_RANGE_M,
  obstacleCentre,
  POINTS_PER_SCAN,
  ROOM,
  simLidar2d,
  simulateScan,
} from "../../../drivers/rangefinder/sim_lidar2d.ts";
import {
  assertPlausibleRun,
  configErrors,
  registryEntries,
  runFor,
} from "../fake_sink.ts";
import { intensityAndRange } from "./_scan_points.ts";

/** Unpacks little-endian float32 x, y, z, intensity records. */
function unpack(data: Uint8Array): LidarPoint[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Array.from({ length: data.length / POINT_STEP }, (_, i) => ({
    x: view.getFloat32(i * POINT_STEP, true),
    y: view.getFloat32(i * POINT_STEP + 4, true),
    z: view.getFloat32(i * POINT_STEP + 8, true),
    intensity: view.getFloat32(i * POINT_STEP + 12, true),
  }));
}

Deno.test("sim.lidar2d: default description is a valid registry entry", () => {
  const driver = simLidar2d.create(simLidar2d.config.parse({}));
  const { sensor, frame } = registryEntries(driver.description);
  assert.ok(sensor.kind === "rangefinder");
  assert.equal(sensor.sensor_id, "sim_lidar");
  assert.equal(sensor.type, "2d_lidar");
  assert.equal(sensor.point_step, 16);
  assert.equal(sensor.is_bigendian, false);
  assert.equal(sensor.frame_rate_hz, 10);
  assert.deepEqual(
    sensor.fields,
    ["x", "y", "z", "intensity"].map((name, i) => ({
      name,
      offset: 4 * i,
      datatype: "float32",
      count: 1,
    })),
  );
  assert.equal(frame.frame_id, "sim_lidar_link");
  assert.deepEqual(
    intensityAndRange(sensor),
    ["simulated_reflectance", 0, 1, 0, 12, "counterclockwise"],
  );
  assert.deepEqual(frame.axes, { x: "forward", y: "left", z: "up" });
  assert.equal(driver.description.payload, "point_cloud_frame");
});

Deno.test("sim.lidar2d: scans are deterministic and seed-dependent", () => {
  const scan = packPoints(simulateScan(1, 42, 10));
  assert.equal(scan.length, POINTS_PER_SCAN * POINT_STEP);
  assert.deepEqual(packPoints(simulateScan(1, 42, 10)), scan);
  assert.notDeepEqual(packPoints(simulateScan(2, 42, 10)), scan);
  assert.notDeepEqual(packPoints(simulateScan(1, 43, 10)), scan);
});

Deno.test("sim.lidar2d: points lie on the walls or the obstacle", () => {
  const tolerance = 0.05; // 5 sigma of the range noise
  for (const index of [0, 37, 150, 444]) {
    const t = index / 10;
    const pose = lidarPose(t);
    const obstacle = obstacleCentre(t);
    const points = simulateScan(3, index, 10);
    assert.equal(points.length, 360);
    let onObstacle = 0;
    let escaped = 0;
    points.forEach((p, i) => {
      assert.equal(p.z, 0);
      const range = Math.hypot(p.x, p.y);
      // Beam i points i degrees left of forward.
      const bearing = Math.atan2(p.y, p.x);
      const expected = i * Math.PI / 180;
      assert.ok(Math.abs(Math.sin(bearing - expected)) < 1e-9);
      assert.ok(Math.cos(bearing - expected) > 0);
      const c = Math.cos(pose.heading);
      const s = Math.sin(pose.heading);
      const wx = pose.x + c * p.x - s * p.y;
      const wy = pose.y + s * p.x + c * p.y;
      if (p.intensity === 0) {
        // No return: out through the doorway, reported at max range.
        assert.ok(Math.abs(range - MAX_RANGE_M) < 1e-9);
        const crossing = (ROOM.width - pose.x) / (wx - pose.x);
        const doorY = pose.y + crossing * (wy - pose.y);
        assert.ok(doorY > ROOM.doorFrom && doorY < ROOM.doorTo, `${doorY}`);
        escaped++;
        return;
      }
      assert.ok(p.intensity > 0 && p.intensity <= 1);
      const toWall = Math.min(
        Math.abs(wx),
        Math.abs(wx - ROOM.width),
        Math.abs(wy),
        Math.abs(wy - ROOM.depth),
      );
      const toObstacle = Math.abs(
        Math.hypot(wx - obstacle.x, wy - obstacle.y) - ROOM.obstacleRadius,
      );
      assert.ok(
        Math.min(toWall, toObstacle) < tolerance,
        `scan ${index} point ${i} at (${wx}, ${wy})`,
      );
      if (toObstacle < tolerance) onObstacle++;
    });
    assert.ok(onObstacle > 0, `scan ${index} sees the obstacle`);
    assert.ok(escaped > 0, `scan ${index} sees through the doorway`);
  }
});

Deno.test("sim.lidar2d: the lidar and the obstacle move", () => {
  assert.notDeepEqual(lidarPose(0), lidarPose(1));
  assert.notDeepEqual(obstacleCentre(0), obstacleCentre(1));
  for (let t = 0; t < 60; t += 0.5) {
    const { x, y } = lidarPose(t);
    assert.ok(x > 1 && x < ROOM.width - 1 && y > 1 && y < ROOM.depth - 1);
  }
});

Deno.test("sim.lidar2d: a real run delivers scans at 10 Hz", async () => {
  const config = simLidar2d.config.parse({ seed: 9 });
  const sink = await runFor(simLidar2d.create(config), 400);
  assertPlausibleRun(sink, 10, 400);
  sink.samples.forEach(({ payload }, k) => {
    const { data } = fromBinary(DataSchema, payload);
    assert.equal(data.length, 360 * 16);
    assert.deepEqual(data, packPoints(simulateScan(9, k, 10)));
    const decoded = unpack(data);
    simulateScan(9, k, 10).forEach((p, i) => {
      assert.equal(decoded[i].x, Math.fround(p.x));
      assert.equal(decoded[i].y, Math.fround(p.y));
      assert.equal(decoded[i].intensity, Math.fround(p.intensity));
    });
  });
});

Deno.test("sim.lidar2d: bad configuration is rejected with clear messages", () => {
  assert.match(
    configErrors(simLidar2d, { rate_hz: 0 }),
    /rate_hz: must be greater than 0 Hz/,
  );
  assert.match(
    configErrors(simLidar2d, { rate_hz: 5000 }),
    /rate_hz: must be at most 1000 Hz/,
  );
  assert.match(configErrors(simLidar2d, { frame_id: "" }), /frame_id: .*empty/);
  assert.match(
    configErrors(simLidar2d, { range_m: 5 }),
    /Unrecognized key.*range_m/,
  );
});
