/**
 * The reference native drivers' formulas (ffi/src/drivers/*.c, documented
 * in ffi/README.md), recomputed in TypeScript to check what they deliver.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { CameraFrameSchema } from "../../../core/proto/gen/auki/camera_pb.ts";
import {
  JointEncodersDataSchema,
  PointCloudDataSchema,
} from "../../../core/proto/payload_schemas.ts";
import { UwbFrameSchema } from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import type { JointCalibration } from "../../../drivers/driver.ts";

/** Frame `k` of `ref_camera` (rgb8, rows padded with `padding` zero bytes). */
export function cameraFrame(
  width: number,
  height: number,
  padding: number,
  k: number,
): Uint8Array {
  const stride = 3 * width + padding;
  const frame = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * stride + 3 * x;
      frame[at] = (x + k) & 255;
      frame[at + 1] = (y + 2 * k) & 255;
      frame[at + 2] = (x + 2 * y + 3 * k) & 255;
    }
  }
  for (let i = 0; i < 4 && i < width; i++) {
    frame.fill((k >>> (8 * (3 - i))) & 255, 3 * i, 3 * i + 3);
  }
  return frame;
}

/** The frame index `ref_camera` wrote into the first four pixels. */
export function cameraIndex(frame: Uint8Array): number {
  return ((frame[0] << 24) | (frame[3] << 16) | (frame[6] << 8) | frame[9]) >>>
    0;
}

/** Checks a `ref_camera` payload and returns its frame index. */
export function checkCamera(
  payload: Uint8Array,
  width: number,
  height: number,
  padding: number,
): number {
  // A plain Uint8Array: payloads read off the network are Buffers.
  const frame = new Uint8Array(fromBinary(CameraFrameSchema, payload).frame);
  const k = cameraIndex(frame);
  assert.deepEqual(frame, cameraFrame(width, height, padding, k), `frame ${k}`);
  return k;
}

/** Point `i` of scan `k` of an `n`-point `ref_lidar2d` as [x, y, z, intensity]. */
export function lidarPoint(n: number, k: number, i: number): number[] {
  const theta = 2 * Math.PI * i / n;
  const r = 3 + 0.5 * Math.sin(4 * theta + 2 * Math.PI * k / 50);
  return [r * Math.cos(theta), r * Math.sin(theta), 0, ((i + k) % 100) / 100]
    .map(Math.fround);
}

/** Checks a `ref_lidar2d` payload of `n` points and returns its scan index. */
export function checkLidar(payload: Uint8Array, n: number): number {
  const { data } = fromBinary(PointCloudDataSchema, payload);
  assert.equal(data.byteLength, 16 * n);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const got = (i: number) =>
    [0, 1, 2, 3].map((f) => view.getFloat32(16 * i + 4 * f, true));
  // Intensity of point 0 is (k mod 100) / 100: the candidates for k.
  const k0 = Math.round(got(0)[3] * 100);
  for (let k = k0; k < k0 + 100_000; k += 100) {
    const matches = Array.from({ length: n }, (_, i) => i).every((i) =>
      got(i).every((v, f) => Math.abs(v - lidarPoint(n, k, i)[f]) < 1e-5)
    );
    if (matches) return k;
  }
  assert.fail(`scan matches no index (intensity ${got(0)[3]})`);
}

const ANCHORS = [
  ["0xA001", 0, 0, 2.5],
  ["0xA002", 8, 0, 2.5],
  ["0xA003", 8, 6, 2.5],
  ["0xA004", 0, 6, 2.5],
] as const;

/** Whether a `ref_uwb` payload is cycle `k` at `rateHz`. */
export function isUwbCycle(
  payload: Uint8Array,
  rateHz: number,
  k: number,
): boolean {
  const frame = fromBinary(UwbFrameSchema, payload);
  const t = k / rateHz;
  const tag = [4 + 2 * Math.cos(0.5 * t), 3 + 1.5 * Math.sin(0.5 * t), 1];
  const close = (a: number, b: number, tolerance: number) =>
    Math.abs(a - b) <= tolerance;
  return frame.ranges.length === 4 &&
    ANCHORS.every(([id, ...at], a) => {
      const d = Math.hypot(...tag.map((v, i) => v - at[i]));
      const range = frame.ranges[a];
      return range.anchorId === id && close(range.distanceM, d, 1e-5) &&
        close(range.quality, Math.max(0, Math.floor(100 - 4 * d)), 1);
    }) &&
    frame.position !== undefined && frame.position.quality === 90 &&
    close(frame.position.x, tag[0], 1e-9) &&
    close(frame.position.y, tag[1], 1e-9) && frame.position.z === 1;
}

/**
 * Whether a `ref_joints` payload of `count` joints is sample `k` at
 * `rateHz`, read through `calibration` when given.
 */
export function isJointSample(
  payload: Uint8Array,
  count: number,
  rateHz: number,
  k: number,
  calibration?: JointCalibration,
): boolean {
  const { anglesRad } = fromBinary(JointEncodersDataSchema, payload);
  const t = k / rateHz;
  return anglesRad.length === count && anglesRad.every((a, j) => {
    const raw = Math.fround(
      0.5 * Math.sin(2 * Math.PI * 0.1 * (j + 1) * t + j / 2),
    );
    const angle = calibration === undefined
      ? raw
      : calibration.directions[j] * raw + calibration.offsets_rad[j];
    return Math.abs(a - angle) < 1e-6;
  });
}

/** The first index in [0, max] for which `matches` holds. */
export function findIndex(
  matches: (k: number) => boolean,
  max: number,
  what: string,
): number {
  for (let k = 0; k <= max; k++) if (matches(k)) return k;
  assert.fail(`${what}: no index in 0..${max} matches`);
}
