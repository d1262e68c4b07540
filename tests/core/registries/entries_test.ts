import assert from "node:assert/strict";
import {
  CameraSensor,
  ClockEntry,
  entryId,
  FRAME_PRESETS,
  FrameEntry,
  POINT_DATATYPE_BYTES,
  RangefinderSensor,
  REGISTRY_KINDS,
  RegistryId,
  RegistryRef,
  SensorEntry,
  validateRegistryId,
} from "../../../core/registries/entries.ts";

// Locked vectors (tests/conformance/vectors/registry_*_m1.json).
const FRAME_REF = {
  hash: "03b86f32827ec6a25a5e619b2f36478b",
  id: "K1-AABBCCDDEEFF/head_left_cam_optical",
  peer_id: "test-peer",
};

const CAMERA = {
  color_space: "BT.709",
  distortion_model: "plumb_bob",
  frame: FRAME_REF,
  frame_rate_hz: 20,
  height: 488,
  image_encoding: "raw",
  intrinsics_model: "pinhole",
  kind: "camera",
  peer_id: "test-peer",
  pixel_format: "YUV_NV12",
  row_stride_bytes: 544,
  sensor_id: "K1-AABBCCDDEEFF/head_left_cam",
  type: "rgb",
  width: 544,
} as const;

const RANGEFINDER = {
  fields: [
    { count: 1, datatype: "float32", name: "x", offset: 0 },
    { count: 1, datatype: "float32", name: "y", offset: 4 },
    { count: 1, datatype: "float32", name: "z", offset: 8 },
  ],
  frame: FRAME_REF,
  frame_rate_hz: 10,
  is_bigendian: false,
  kind: "rangefinder",
  peer_id: "test-peer",
  point_step: 12,
  sensor_id: "K1-AABBCCDDEEFF/head_depth_points",
  type: "point_cloud",
} as const;

const CLOCK = {
  clock_id: "K1-AABBCCDDEEFF/monotonic",
  epoch: null,
  monotonic: true,
  peer_id: "galbot",
  scope: "device-local",
  session_id: "sess-m1",
  type: "monotonic_clock",
  unit: "milliseconds",
} as const;

const FRAME = {
  axes: { x: "right", y: "down", z: "forward" },
  frame_id: "K1-AABBCCDDEEFF/head_left_cam_optical",
  handedness: "right",
  peer_id: "test-peer",
  units: "meters",
} as const;

/** The issues zod reports, as "path: message" lines. */
function issues(
  schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
  value: unknown,
): string[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  const error = result.error as {
    issues: { path: PropertyKey[]; message: string }[];
  };
  return error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

function assertValid(schema: Parameters<typeof issues>[0], value: unknown) {
  assert.deepEqual(issues(schema, value), [], JSON.stringify(value));
}

function assertInvalid(
  schema: Parameters<typeof issues>[0],
  value: unknown,
  pattern: RegExp,
) {
  const found = issues(schema, value);
  assert.ok(found.length > 0, `accepted ${JSON.stringify(value)}`);
  assert.ok(
    found.some((i) => pattern.test(i)),
    `${JSON.stringify(found)} does not match ${pattern}`,
  );
}

// ---------------------------------------------------------------------------
// Registry ids

Deno.test("validateRegistryId: accepts ordinary ids, slashes and dots inside names", () => {
  for (
    const id of [
      "a",
      "head_left_cam",
      "K1-AABBCCDDEEFF/head_left_cam_optical",
      "12D3KooWAvnEo4RaYZtqt2w83qzmQ7WVW2HhN2cay95EXAiVKcar/sess/monotonic",
      "a.b",
      ".hidden",
      "a..b",
      "...",
      "x/.y/z..",
      "ünïcode/名前",
    ]
  ) {
    assert.equal(validateRegistryId(id), undefined, id);
  }
});

Deno.test("validateRegistryId: rejects empty, reserved characters and whitespace", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["world->base_link", /'>'/],
    ["yolo@head", /'@'/],
    ["a b", /whitespace/],
    ["a\tb", /whitespace/],
    ["a\nb", /whitespace/],
    [" a", /whitespace/],
    ["a ", /whitespace/],
    ["a\u00a0b", /whitespace/],
    ["a\u2003b", /whitespace/],
  ];
  for (const [id, message] of cases) {
    const problem = validateRegistryId(id);
    assert.ok(problem !== undefined, JSON.stringify(id));
    assert.match(problem, message, JSON.stringify(id));
  }
});

Deno.test("validateRegistryId: rejects empty, '.' and '..' path segments", () => {
  for (
    const id of [
      ".",
      "..",
      "/a",
      "a/",
      "a//b",
      "a/./b",
      "a/../b",
      "../x",
      "x/..",
      "/",
    ]
  ) {
    const problem = validateRegistryId(id);
    assert.ok(problem !== undefined, id);
    assert.match(problem, /path segment/, id);
  }
});

Deno.test("RegistryId schema reports the id problem", () => {
  assertValid(RegistryId, "a/b");
  assertInvalid(RegistryId, "a/../b", /path segment/);
  assertInvalid(RegistryId, "", /empty/);
  assertInvalid(RegistryId, 5, /.+/);
});

Deno.test("RegistryRef: hash is 32 lowercase hex", () => {
  assertValid(RegistryRef, FRAME_REF);
  assertInvalid(RegistryRef, {
    ...FRAME_REF,
    hash: FRAME_REF.hash.toUpperCase(),
  }, /^hash/);
  assertInvalid(
    RegistryRef,
    { ...FRAME_REF, hash: FRAME_REF.hash.slice(1) },
    /^hash/,
  );
  assertInvalid(
    RegistryRef,
    { ...FRAME_REF, hash: `${FRAME_REF.hash}0` },
    /^hash/,
  );
  assertInvalid(RegistryRef, { hash: FRAME_REF.hash, id: "x" }, /^peer_id/);
});

// ---------------------------------------------------------------------------
// Sensors

Deno.test("camera: the locked M1 entry is valid", () => {
  assertValid(CameraSensor, CAMERA);
  assertValid(SensorEntry, CAMERA);
});

Deno.test("camera: raw needs row_stride_bytes > 0, encoded needs 0", () => {
  assertInvalid(
    CameraSensor,
    { ...CAMERA, row_stride_bytes: 0 },
    /row_stride_bytes > 0/,
  );
  assertInvalid(
    SensorEntry,
    { ...CAMERA, image_encoding: "jpeg" },
    /row_stride_bytes 0/,
  );
  assertValid(CameraSensor, {
    ...CAMERA,
    image_encoding: "jpeg",
    row_stride_bytes: 0,
  });
  assertValid(CameraSensor, { ...CAMERA, row_stride_bytes: 1 });
});

Deno.test("camera: dimensions, u32 ranges and calibration", () => {
  assertInvalid(CameraSensor, { ...CAMERA, width: 0 }, /^width/);
  assertInvalid(CameraSensor, { ...CAMERA, height: -1 }, /^height/);
  assertInvalid(CameraSensor, { ...CAMERA, width: 2 ** 32 }, /^width/);
  assertInvalid(
    CameraSensor,
    { ...CAMERA, frame_rate_hz: 1.5 },
    /^frame_rate_hz/,
  );
  assertValid(CameraSensor, { ...CAMERA, frame_rate_hz: 0 });
  assertInvalid(CameraSensor, { ...CAMERA, pixel_format: "" }, /^pixel_format/);
  const calibration = { fx: 400, fy: 400.5, cx: 272, cy: -1 };
  assertValid(CameraSensor, { ...CAMERA, calibration });
  assertValid(CameraSensor, {
    ...CAMERA,
    calibration: { ...calibration, distortion_coefficients: [0.1, 0, -0.2] },
  });
  assertInvalid(
    CameraSensor,
    { ...CAMERA, calibration: { ...calibration, fx: 0 } },
    /^calibration\.fx/,
  );
  assertInvalid(
    CameraSensor,
    { ...CAMERA, calibration: { ...calibration, cy: NaN } },
    /^calibration\.cy/,
  );
  assertInvalid(
    CameraSensor,
    { ...CAMERA, calibration: { ...calibration, fy: Infinity } },
    /^calibration\.fy/,
  );
  assertInvalid(
    CameraSensor,
    {
      ...CAMERA,
      calibration: { ...calibration, distortion_coefficients: [1, Infinity] },
    },
    /^calibration\.distortion_coefficients/,
  );
  assertInvalid(CameraSensor, { ...CAMERA, frame: undefined }, /^frame/);
  assertInvalid(CameraSensor, { ...CAMERA, sensor_id: "a b" }, /^sensor_id/);
});

Deno.test("rangefinder: fields must lie inside point_step", () => {
  assertValid(RangefinderSensor, RANGEFINDER);
  assertValid(SensorEntry, RANGEFINDER);
  const withField = (field: object, point_step = 12) => ({
    ...RANGEFINDER,
    point_step,
    fields: [...RANGEFINDER.fields, field],
  });
  // Ends exactly at point_step.
  assertValid(
    RangefinderSensor,
    withField({
      name: "i",
      offset: 11,
      datatype: "uint8",
      count: 1,
    }),
  );
  assertValid(
    RangefinderSensor,
    withField({
      name: "d",
      offset: 4,
      datatype: "float64",
      count: 1,
    }),
  );
  assertValid(
    RangefinderSensor,
    withField({
      name: "rgb",
      offset: 12,
      datatype: "uint8",
      count: 4,
    }, 16),
  );
  // One byte past the end, by offset, by width and by count.
  const past = /inside point_step/;
  assertInvalid(
    RangefinderSensor,
    withField({
      name: "i",
      offset: 12,
      datatype: "uint8",
      count: 1,
    }),
    past,
  );
  assertInvalid(
    RangefinderSensor,
    withField({
      name: "d",
      offset: 8,
      datatype: "float64",
      count: 1,
    }),
    past,
  );
  assertInvalid(
    RangefinderSensor,
    withField({
      name: "rgb",
      offset: 12,
      datatype: "uint8",
      count: 5,
    }, 16),
    past,
  );
  assertInvalid(
    RangefinderSensor,
    withField({
      name: "w",
      offset: 10,
      datatype: "int16",
      count: 2,
    }, 13),
    past,
  );
});

Deno.test("rangefinder: field and layout shapes", () => {
  const field = { name: "x", offset: 0, datatype: "float32", count: 1 };
  const entry = (fields: object[], point_step = 12) => ({
    ...RANGEFINDER,
    fields,
    point_step,
  });
  assertInvalid(RangefinderSensor, entry([]), /^fields/);
  assertInvalid(
    RangefinderSensor,
    entry([{ ...field, datatype: "float16" }]),
    /^fields\.0\.datatype/,
  );
  assertInvalid(
    RangefinderSensor,
    entry([{ ...field, count: 0 }]),
    /^fields\.0\.count/,
  );
  assertInvalid(
    RangefinderSensor,
    entry([{ ...field, name: "" }]),
    /^fields\.0\.name/,
  );
  assertInvalid(RangefinderSensor, entry([field], 0), /^point_step/);
  assertInvalid(
    RangefinderSensor,
    { ...RANGEFINDER, is_bigendian: "no" },
    /^is_bigendian/,
  );
  assert.deepEqual(POINT_DATATYPE_BYTES, {
    int8: 1,
    uint8: 1,
    int16: 2,
    uint16: 2,
    int32: 4,
    uint32: 4,
    float32: 4,
    float64: 8,
  });
});

Deno.test("sensor union: other kinds and unknown kinds", () => {
  assertValid(SensorEntry, {
    channel_layout: "n_channel",
    channels: 4,
    frame: FRAME_REF,
    kind: "audio",
    peer_id: "test-peer",
    sample_format: "pcm_s16le",
    sample_rate_hz: 48000,
    sensor_id: "K1-AABBCCDDEEFF/head_array_4mic",
    type: "pcm",
  });
  assertValid(SensorEntry, {
    frame: FRAME_REF,
    frame_rate_hz: 100,
    joint_count: 6,
    kind: "joint_encoders",
    peer_id: "test-peer",
    sensor_id: "K1-AABBCCDDEEFF/right_arm_joints",
    type: "absolute",
  });
  assertValid(SensorEntry, {
    frame: FRAME_REF,
    kind: "rf",
    peer_id: "galbot",
    sensor_id: "wifi_scanner",
    type: "wifi",
  });
  const scalar = {
    expected_rate_hz: 1,
    kind: "scalar",
    peer_id: "bracketbot",
    sensor_id: "battery_charge",
    type: "battery_charge",
    unit: "percent",
  };
  assertValid(SensorEntry, scalar);
  assertInvalid(
    SensorEntry,
    { ...scalar, expected_rate_hz: 0 },
    /^expected_rate_hz/,
  );
  assertInvalid(SensorEntry, { ...scalar, type: "" }, /^type/);
  assertInvalid(SensorEntry, { ...scalar, kind: "point_cloud" }, /^kind/);
  assertInvalid(SensorEntry, { ...scalar, kind: "microphone" }, /^kind/);
});

// ---------------------------------------------------------------------------
// Frames

Deno.test("frame: axes must come from three distinct axis pairs", () => {
  assertValid(FrameEntry, FRAME);
  for (const [name, preset] of Object.entries(FRAME_PRESETS)) {
    assertValid(FrameEntry, { ...FRAME, frame_id: name, ...preset });
  }
  // Any three distinct pairs, in any order.
  assertValid(FrameEntry, {
    ...FRAME,
    axes: { x: "forward", y: "right", z: "up" },
  });
  const pairs = /three distinct axis pairs/;
  for (
    const axes of [
      { x: "forward", y: "backward", z: "up" },
      { x: "up", y: "left", z: "down" },
      { x: "left", y: "up", z: "right" },
      { x: "left", y: "left", z: "up" },
      { x: "up", y: "up", z: "up" },
    ]
  ) {
    assertInvalid(FrameEntry, { ...FRAME, axes }, pairs);
  }
  assertInvalid(
    FrameEntry,
    { ...FRAME, axes: { x: "north", y: "left", z: "up" } },
    /^axes\.x/,
  );
  assertInvalid(
    FrameEntry,
    { ...FRAME, axes: { x: "forward", y: "left" } },
    /^axes\.z/,
  );
  assertInvalid(
    FrameEntry,
    { ...FRAME, handedness: "ambidextrous" },
    /^handedness/,
  );
  assertInvalid(FrameEntry, { ...FRAME, units: "inches" }, /^units/);
  assertInvalid(FrameEntry, { ...FRAME, frame_id: "a/./b" }, /^frame_id/);
});

Deno.test("frame presets match the SDK", () => {
  assert.deepEqual(FRAME_PRESETS, {
    ros_body: {
      handedness: "right",
      axes: { x: "forward", y: "left", z: "up" },
    },
    ros_optical: {
      handedness: "right",
      axes: { x: "right", y: "down", z: "forward" },
    },
    opengl: {
      handedness: "right",
      axes: { x: "right", y: "up", z: "backward" },
    },
    unity: { handedness: "left", axes: { x: "right", y: "up", z: "forward" } },
  });
});

// ---------------------------------------------------------------------------
// Clocks

Deno.test("clock: the locked entries are valid; epoch null is explicit", () => {
  assertValid(ClockEntry, CLOCK);
  assertValid(ClockEntry, {
    ...CLOCK,
    clock_id: "K1-AABBCCDDEEFF/utc",
    epoch: "1970-01-01T00:00:00Z",
    monotonic: false,
    scope: "global",
    type: "utc_clock",
  });
  const { epoch: _, ...withoutEpoch } = CLOCK;
  assertInvalid(ClockEntry, withoutEpoch, /^epoch/);
  assertInvalid(ClockEntry, { ...CLOCK, epoch: 0 }, /^epoch/);
});

Deno.test("clock: scope is a closed enum", () => {
  for (const scope of ["device-local", "domain-local", "global"]) {
    assertValid(ClockEntry, { ...CLOCK, scope });
  }
  for (
    const scope of ["device_local", "Global", "local", "", "domain", undefined]
  ) {
    assertInvalid(ClockEntry, { ...CLOCK, scope }, /^scope/);
  }
});

Deno.test("clock: type, unit, session and id rules", () => {
  assertInvalid(ClockEntry, { ...CLOCK, type: "tai_clock" }, /^type/);
  assertInvalid(ClockEntry, { ...CLOCK, unit: "" }, /^unit/);
  assertInvalid(ClockEntry, { ...CLOCK, session_id: "" }, /^session_id/);
  assertInvalid(ClockEntry, { ...CLOCK, monotonic: "yes" }, /^monotonic/);
  assertInvalid(ClockEntry, { ...CLOCK, clock_id: "a@b" }, /^clock_id/);
});

// ---------------------------------------------------------------------------

Deno.test("entryId names the id field of each kind", () => {
  assert.equal(entryId("sensor", CAMERA), CAMERA.sensor_id);
  assert.equal(entryId("clock", CLOCK), CLOCK.clock_id);
  assert.equal(entryId("frame", FRAME), FRAME.frame_id);
  assert.deepEqual([...REGISTRY_KINDS], [
    "sensor",
    "clock",
    "frame",
    "detector",
    "map",
  ]);
});

Deno.test("auki-edge's optional entry keys: kept when valid, refused when not", () => {
  const lidar = {
    ...RANGEFINDER,
    intensity_meaning: "rplidar_quality",
    intensity_min: 0,
    intensity_max: 63,
    range_min_m: 0.15,
    range_max_m: 12,
    scan_direction: "clockwise",
  };
  assert.deepEqual(SensorEntry.parse(lidar), lidar, "no key dropped");
  assert.deepEqual(
    SensorEntry.parse(RANGEFINDER),
    RANGEFINDER,
    "the SDK's shape is unchanged",
  );
  assertInvalid(
    RangefinderSensor,
    { ...lidar, scan_direction: "left" },
    /^scan_direction/,
  );
  assertInvalid(RangefinderSensor, { ...lidar, range_max_m: 0 }, /^range_max/);
  assertInvalid(
    RangefinderSensor,
    { ...lidar, intensity_max: Infinity },
    /^intensity_max/,
  );
  const joints = {
    frame: FRAME_REF,
    frame_rate_hz: 100,
    joint_count: 3,
    kind: "joint_encoders",
    peer_id: "test-peer",
    sensor_id: "arm",
    type: "absolute",
    servo_ids: [1, 2, 5],
  };
  assert.deepEqual(SensorEntry.parse(joints), joints);
  assertInvalid(
    SensorEntry,
    { ...joints, servo_ids: [1, 2] },
    /servo_ids must list one id per joint/,
  );
});
