import assert from "node:assert/strict";
import { parseDescription } from "../../../drivers/native/description.ts";
import { registryEntries } from "../fake_sink.ts";

const CAMERA = {
  payload: "camera_frame",
  rate_hz: 30,
  max_sample_bytes: 921600,
  sensor: {
    kind: "camera",
    type: "rgb",
    width: 640,
    height: 480,
    frame_rate_hz: 30,
    image_encoding: "raw",
    pixel_format: "rgb8",
    row_stride_bytes: 1920,
    color_space: "srgb",
    intrinsics_model: "none",
    distortion_model: "none",
  },
};

const parse = (value: unknown, frameId?: string) =>
  parseDescription(JSON.stringify(value), { sensorId: "cam", frameId });

Deno.test("description: a camera gets the configured id and an optical frame", () => {
  const { description, maxSampleBytes } = parse(CAMERA);
  assert.equal(maxSampleBytes, 921600);
  assert.equal(description.payload, "camera_frame");
  assert.equal(description.rateHz, 30);
  assert.equal(description.sensor.sensor_id, "cam");
  assert.deepEqual(description.frame, {
    frame_id: "cam_optical",
    handedness: "right",
    axes: { x: "right", y: "down", z: "forward" },
    units: "meters",
  });
  const { sensor } = registryEntries(description);
  assert.equal(sensor.kind, "camera");
});

Deno.test("description: the device's model, serial and firmware stay out of the sensor entry", () => {
  const device = { model: "D435i", serial: "123456789", firmware: "5.13.0" };
  const { description } = parse({ ...CAMERA, device });
  assert.deepEqual(description.device, device);
  const { sensor } = registryEntries(description);
  assert.equal(JSON.stringify(sensor).includes("123456789"), false);
  assert.equal(parse(CAMERA).description.device, undefined);
  assert.throws(
    () => parse({ ...CAMERA, device: { serial: 42 } }),
    /invalid description: device\.serial/,
  );
});

Deno.test("description: other kinds get a body frame; ids and frames can be chosen", () => {
  const { description } = parse({
    payload: "joint_encoders_frame",
    rate_hz: 100,
    sensor: {
      kind: "joint_encoders",
      type: "absolute",
      joint_count: 6,
      frame_rate_hz: 100,
      sensor_id: "ignored",
      peer_id: "ignored",
    },
    frame: { units: "millimeters" },
  }, "arm_base");
  assert.equal(description.sensor.sensor_id, "cam");
  assert.equal(description.frame.frame_id, "arm_base");
  assert.deepEqual(description.frame.axes, {
    x: "forward",
    y: "left",
    z: "up",
  });
  assert.equal(description.frame.units, "millimeters");
  assert.ok(!("peer_id" in description.sensor));
});

Deno.test("description: rf payloads follow the rf type", () => {
  const uwb = parse({
    payload: "auki_edge.rf.uwb",
    rate_hz: 10,
    sensor: { kind: "rf", type: "uwb" },
  });
  assert.equal(uwb.description.payload, "auki_edge.rf.uwb");
  assert.throws(
    () =>
      parse({
        payload: "auki_edge.rf.wifi_csi",
        rate_hz: 10,
        sensor: { kind: "rf", type: "uwb" },
      }),
    /needs sensor type "wifi", got "uwb"/,
  );
});

Deno.test("description: each defect is named", () => {
  const cases: [unknown, RegExp][] = [
    ["{not json", /not JSON/],
    [{ ...CAMERA, payload: undefined }, /payload/],
    [{ ...CAMERA, rate_hz: -1 }, /rate_hz/],
    [
      { ...CAMERA, payload: "point_cloud_frame" },
      /does not fit sensor kind "camera"/,
    ],
    [
      {
        ...CAMERA,
        sensor: { kind: "audio", type: "pcm" },
        payload: "audio_frame",
      },
      /kind "audio" is not hosted/,
    ],
    [
      { ...CAMERA, sensor: { ...CAMERA.sensor, row_stride_bytes: 0 } },
      /raw images need row_stride_bytes > 0/,
    ],
    [{ ...CAMERA, sensor: { ...CAMERA.sensor, width: 0 } }, /sensor: width/],
    [
      { ...CAMERA, frame: { axes: { x: "up", y: "down", z: "left" } } },
      /frame axes must come from three distinct axis pairs/,
    ],
    [{ ...CAMERA, max_sample_bytes: 1.5 }, /max_sample_bytes/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () =>
        typeof value === "string"
          ? parseDescription(value, { sensorId: "cam" })
          : parse(value),
      message,
      JSON.stringify(value),
    );
  }
});
