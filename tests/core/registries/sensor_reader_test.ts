/**
 * Older camera entries (spec wire.md 6.1: the generation-A fixture
 * `sensor_camera_rgb.json` has no `image_encoding`, `row_stride_bytes` or
 * `calibration`) are read with the documented defaults; current entries and
 * other kinds are read unchanged; the calibration reader takes them.
 *
 * @module
 */
import assert from "node:assert/strict";
import { canonicalJson } from "../../../core/codec/json.ts";
import { xxh3Hex } from "../../../core/codec/hash.ts";
import { readSensorEntry } from "../../../core/registries/sensor_reader.ts";
import { checkReadable } from "../../../core/image.ts";

/** The locked generation-A camera fixture (spec wire.md 6.3). */
const OLDER_CAMERA = {
  color_space: "srgb",
  distortion_model: "brown_conrady",
  frame: {
    hash: "3055a8ac27eecd57aa37235b05871c01",
    id: "head_left_camera_optical",
    peer_id: "galbot",
  },
  frame_rate_hz: 30,
  height: 1200,
  intrinsics_model: "pinhole",
  kind: "camera",
  peer_id: "galbot",
  pixel_format: "rgb8",
  sensor_id: "head_left_rgb",
  type: "rgb",
  width: 1920,
};

Deno.test("readSensorEntry: the generation-A camera fixture is read with defaults", () => {
  // It is the real fixture: its hash is the one the spec locks.
  assert.equal(
    xxh3Hex(canonicalJson(OLDER_CAMERA)),
    "8295922307fa2b426453486ba87a59ef",
  );
  const entry = readSensorEntry(OLDER_CAMERA);
  assert.equal(entry.kind, "camera");
  if (entry.kind !== "camera") return;
  assert.equal(entry.image_encoding, "jpeg");
  assert.equal(entry.row_stride_bytes, 0);
  assert.equal(entry.calibration, undefined);
  // The input is not changed (its canonical JSON stays the hashed one).
  assert.equal(
    (OLDER_CAMERA as Record<string, unknown>).image_encoding,
    undefined,
  );
  // The calibration reader accepts it (its frames are decoded as JPEG).
  checkReadable(entry);
});

Deno.test("readSensorEntry: a stride without an encoding is raw; raw without a stride is packed", () => {
  const strided = readSensorEntry({ ...OLDER_CAMERA, row_stride_bytes: 5888 });
  assert.ok(strided.kind === "camera");
  assert.equal(strided.image_encoding, "raw");
  assert.equal(strided.row_stride_bytes, 5888);
  const packed = readSensorEntry({
    ...OLDER_CAMERA,
    image_encoding: "raw",
    pixel_format: "16UC1",
  });
  assert.ok(packed.kind === "camera");
  assert.equal(packed.row_stride_bytes, 1920 * 2);
  assert.throws(
    () =>
      readSensorEntry({
        ...OLDER_CAMERA,
        image_encoding: "raw",
        pixel_format: "bayer_grbg8",
      }),
    /"head_left_rgb" has raw bayer_grbg8 images without row_stride_bytes/,
  );
});

Deno.test("readSensorEntry: current entries and other kinds are read as they are", () => {
  const current = {
    ...OLDER_CAMERA,
    image_encoding: "raw",
    row_stride_bytes: 5760,
    raster_frame: "later revisions add it; it is ignored",
  };
  const entry = readSensorEntry(current);
  assert.ok(entry.kind === "camera");
  assert.equal(entry.image_encoding, "raw");
  assert.equal(entry.row_stride_bytes, 5760);
  const joints = {
    peer_id: "galbot",
    sensor_id: "arm",
    type: "absolute",
    kind: "joint_encoders",
    joint_count: 6,
    frame_rate_hz: 100,
    frame: OLDER_CAMERA.frame,
  };
  assert.deepEqual(readSensorEntry(joints), joints);
  assert.throws(() => readSensorEntry({ ...joints, joint_count: 0 }));
  assert.throws(() => readSensorEntry(null));
});
