import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { CameraFrameSchema } from "../../../core/proto/gen/auki/camera_pb.ts";
import { simCamera } from "../../../drivers/camera/sim_camera.ts";
import {
  frameIndexOf,
  renderTestPattern,
} from "../../../drivers/camera/test_pattern.ts";
import {
  assertPlausibleRun,
  configErrors,
  registryEntries,
  runFor,
} from "../fake_sink.ts";

Deno.test("sim.camera: default description is a valid registry entry", () => {
  const driver = simCamera.create(simCamera.config.parse({}));
  const { sensor, frame } = registryEntries(driver.description);
  assert.ok(sensor.kind === "camera");
  assert.deepEqual(sensor, {
    peer_id: sensor.peer_id,
    sensor_id: "sim_camera",
    kind: "camera",
    type: "rgb",
    width: 640,
    height: 480,
    frame_rate_hz: 15,
    image_encoding: "raw",
    pixel_format: "rgb8",
    row_stride_bytes: 1920,
    color_space: "srgb",
    intrinsics_model: "pinhole",
    distortion_model: "plumb_bob",
    calibration: { fx: 320, fy: 320, cx: 320, cy: 240 },
    frame: sensor.frame,
  });
  assert.equal(frame.frame_id, "sim_camera_optical");
  assert.deepEqual(frame.axes, { x: "right", y: "down", z: "forward" });
  assert.equal(driver.description.payload, "camera_frame");
  assert.equal(driver.description.rateHz, 15);
});

Deno.test("sim.camera: configuration overrides", () => {
  const config = simCamera.config.parse({
    id: "cam/front",
    frame_id: "front_optical",
    width: 1280,
    height: 720,
    rate_hz: 30,
    hfov_deg: 60,
  });
  const { sensor, frame } = registryEntries(
    simCamera.create(config).description,
  );
  assert.equal(sensor.sensor_id, "cam/front");
  assert.equal(frame.frame_id, "front_optical");
  assert.ok(sensor.kind === "camera");
  assert.equal(sensor.row_stride_bytes, 3840);
  assert.equal(sensor.frame_rate_hz, 30);
  assert.ok(Math.abs(sensor.calibration!.fx - 640 * Math.sqrt(3)) < 1e-5);
});

Deno.test("sim.camera: frames are rgb8, deterministic and seed-dependent", () => {
  const frame = renderTestPattern(64, 48, 1, 7);
  assert.equal(frame.length, 64 * 48 * 3);
  assert.deepEqual(renderTestPattern(64, 48, 1, 7), frame);
  assert.notDeepEqual(renderTestPattern(64, 48, 2, 7), frame);
  assert.equal(frameIndexOf(frame), 7);
  assert.equal(
    frameIndexOf(renderTestPattern(16, 16, 1, 0x12345678)),
    0x12345678,
  );
});

Deno.test("sim.camera: the pattern moves between frames", () => {
  const pixel = (f: Uint8Array, x: number, y: number) =>
    Array.from(f.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
  const a = renderTestPattern(64, 48, 1, 10);
  const b = renderTestPattern(64, 48, 1, 11);
  // The bars (top) shift right and the ramp (bottom) shifts left by 4 px.
  assert.deepEqual(pixel(b, 30, 2), pixel(a, 26, 2));
  assert.deepEqual(pixel(b, 30, 47), pixel(a, 34, 47));
  // The change is not confined to the index pixels.
  let differing = 0;
  for (let i = 12; i < a.length; i++) if (a[i] !== b[i]) differing++;
  assert.ok(differing > 100);
});

Deno.test("sim.camera: 1920x1080 renders fast enough for 30 fps", () => {
  renderTestPattern(1920, 1080, 1, 0);
  const started = performance.now();
  for (let i = 1; i <= 10; i++) renderTestPattern(1920, 1080, 1, i);
  const msPerFrame = (performance.now() - started) / 10;
  assert.ok(msPerFrame < 20, `${msPerFrame.toFixed(1)} ms per frame`);
});

Deno.test("sim.camera: a real run delivers frames in order at 15 Hz", async () => {
  const config = simCamera.config.parse({ width: 32, height: 24, seed: 5 });
  const sink = await runFor(simCamera.create(config), 400);
  assertPlausibleRun(sink, 15, 400);
  sink.samples.forEach(({ payload }, k) => {
    const { frame, dynamicIntrinsics } = fromBinary(CameraFrameSchema, payload);
    assert.equal(dynamicIntrinsics, undefined);
    assert.equal(frameIndexOf(frame), k);
    assert.deepEqual(frame, renderTestPattern(32, 24, 5, k));
  });
});

Deno.test("sim.camera: bad configuration is rejected with clear messages", () => {
  assert.match(
    configErrors(simCamera, { width: 0 }),
    /width: must be at least 16 pixels/,
  );
  assert.match(
    configErrors(simCamera, { height: 10.5 }),
    /height: must be a whole number/,
  );
  assert.match(
    configErrors(simCamera, { rate_hz: 0 }),
    /rate_hz: must be greater than 0 Hz/,
  );
  assert.match(
    configErrors(simCamera, { rate_hz: -3 }),
    /rate_hz: must be greater than 0 Hz/,
  );
  assert.match(
    configErrors(simCamera, { hfov_deg: 180 }),
    /hfov_deg: must be less than 180/,
  );
  assert.match(configErrors(simCamera, { id: "a b" }), /id: .*whitespace/);
  assert.match(
    configErrors(simCamera, { seed: 1.5 }),
    /seed: must be an integer/,
  );
  assert.match(
    configErrors(simCamera, { colour: "red" }),
    /Unrecognized key.*colour/,
  );
});
