import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CameraFrameSchema } from "../../../core/proto/gen/auki/camera_pb.ts";
import {
  JointEncodersDataSchema,
  PointCloudDataSchema,
} from "../../../core/proto/payload_schemas.ts";
import {
  UwbFrameSchema,
  WifiCsiFrameSchema,
} from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import { rawFrameBytes } from "../../../core/registries/raw_frame.ts";
import type { SensorDescription } from "../../../drivers/driver.ts";
import { parseDescription } from "../../../drivers/native/description.ts";
import { sampleEncoder } from "../../../drivers/native/samples.ts";

function encoderOf(payload: string, sensor: Record<string, unknown>) {
  const { description } = parseDescription(
    JSON.stringify({ payload, rate_hz: 10, sensor }),
    { sensorId: "s" },
  );
  return sampleEncoder(description as SensorDescription);
}

const camera = (encoding: string, pixelFormat: string, stride: number) =>
  encoderOf("camera_frame", {
    kind: "camera",
    type: "rgb",
    width: 4,
    height: 2,
    frame_rate_hz: 10,
    image_encoding: encoding,
    pixel_format: pixelFormat,
    row_stride_bytes: stride,
    color_space: "srgb",
    intrinsics_model: "none",
    distortion_model: "none",
  });

Deno.test("samples: raw frames must be stride x height (x1.5 for 4:2:0)", () => {
  assert.equal(rawFrameBytes("rgb8", 14, 2), 28);
  assert.equal(rawFrameBytes("YUV_NV12", 4, 2), 12);
  const encode = camera("raw", "rgb8", 14);
  const frame = Uint8Array.from({ length: 28 }, (_, i) => i);
  const decoded = fromBinary(CameraFrameSchema, encode(frame));
  assert.deepEqual(decoded.frame, frame);
  assert.equal(
    toBinary(CameraFrameSchema, decoded).byteLength,
    encode(frame).byteLength,
  );
  assert.throws(() => encode(frame.subarray(0, 27)), /27 bytes; 4x2 .* is 28/);
  assert.doesNotThrow(() => camera("raw", "YUV_NV12", 4)(new Uint8Array(12)));
});

Deno.test("samples: jpeg frames pass through and must start with FF D8", () => {
  const encode = camera("jpeg", "rgb8", 0);
  const jpeg = Uint8Array.of(0xff, 0xd8, 1, 2, 3, 0xff, 0xd9);
  assert.deepEqual(fromBinary(CameraFrameSchema, encode(jpeg)).frame, jpeg);
  assert.throws(() => encode(Uint8Array.of(1, 2, 3)), /FF D8/);
});

Deno.test("samples: points are whole records of point_step", () => {
  const encode = encoderOf("point_cloud_frame", {
    kind: "rangefinder",
    type: "2d_lidar",
    fields: [{ name: "x", offset: 0, datatype: "float32", count: 1 }],
    point_step: 8,
    is_bigendian: false,
    frame_rate_hz: 10,
  });
  const points = new Uint8Array(24).fill(7);
  const payload = encode(points);
  assert.deepEqual(fromBinary(PointCloudDataSchema, payload).data, points);
  assert.deepEqual(
    payload,
    toBinary(
      PointCloudDataSchema,
      create(PointCloudDataSchema, { data: points }),
    ),
  );
  assert.throws(() => encode(points.subarray(0, 20)), /not whole points/);
});

Deno.test("samples: joint angles encode exactly as protobuf-es packs them", () => {
  const encode = encoderOf("joint_encoders_frame", {
    kind: "joint_encoders",
    type: "absolute",
    joint_count: 3,
    frame_rate_hz: 100,
  });
  const angles = Float32Array.of(0.5, -1.25, 3);
  const payload = encode(new Uint8Array(angles.buffer));
  assert.deepEqual(
    payload,
    toBinary(
      JointEncodersDataSchema,
      create(JointEncodersDataSchema, { anglesRad: [0.5, -1.25, 3] }),
    ),
  );
  assert.throws(() => encode(new Uint8Array(8)), /8 bytes for 3 joints/);
  assert.throws(
    () => encode(new Uint8Array(Float32Array.of(0, NaN, 0).buffer)),
    /joint 1 angle is NaN/,
  );
});

/** A raw UWB sample as a C driver writes it. */
function uwbSample(
  ranges: { id: Uint8Array | string; distance: number; quality: number }[],
  position?: [number, number, number, number],
  hasPosition = position ? 1 : 0,
): Uint8Array {
  const bytes = new Uint8Array(40 + 24 * ranges.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, ranges.length, true);
  view.setUint32(4, hasPosition, true);
  if (position) {
    view.setFloat64(8, position[0], true);
    view.setFloat64(16, position[1], true);
    view.setFloat64(24, position[2], true);
    view.setUint32(32, position[3], true);
  }
  ranges.forEach((r, i) => {
    const at = 40 + 24 * i;
    bytes.set(
      typeof r.id === "string" ? new TextEncoder().encode(r.id) : r.id,
      at,
    );
    view.setFloat32(at + 16, r.distance, true);
    view.setUint32(at + 20, r.quality, true);
  });
  return bytes;
}

const uwb = encoderOf("auki_edge.rf.uwb", { kind: "rf", type: "uwb" });

Deno.test("samples: raw UWB samples become auki_edge.rf.UwbFrame", () => {
  const frame = fromBinary(
    UwbFrameSchema,
    uwb(uwbSample([
      { id: "0xA001", distance: 2.5, quality: 90 },
      { id: "sixteen-byte-id!", distance: 0, quality: 0 },
    ], [1, 2, 3, 77])),
  );
  assert.deepEqual(
    frame.ranges.map((r) => [r.anchorId, r.distanceM, r.quality]),
    [["0xA001", 2.5, 90], ["sixteen-byte-id!", 0, 0]],
  );
  assert.deepEqual(
    [frame.position?.x, frame.position?.y, frame.position?.z],
    [1, 2, 3],
  );
  assert.equal(frame.position?.quality, 77);
  const noPosition = fromBinary(
    UwbFrameSchema,
    uwb(uwbSample([{ id: "a", distance: 1, quality: 1 }])),
  );
  assert.equal(noPosition.position, undefined);
});

Deno.test("samples: defective UWB samples are named", () => {
  const good = { id: "a", distance: 1, quality: 1 };
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(10), /shorter than its 40-byte header/],
    [uwbSample([good]).subarray(0, 60), /1 ranges needs 64 bytes, got 60/],
    [uwbSample([{ ...good, id: Uint8Array.of(0xff, 0xfe) }]), /not UTF-8/],
    [uwbSample([{ ...good, id: "" }]), /empty anchor id/],
    [uwbSample([{ ...good, distance: -1 }]), /negative/],
    [uwbSample([{ ...good, distance: Infinity }]), /distance is Infinity/],
    [uwbSample([{ ...good, quality: 101 }]), /quality 101 exceeds 100/],
    [uwbSample([good], undefined, 2), /has_position is 2/],
    [uwbSample([good], [NaN, 0, 0, 1]), /position x is NaN/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => uwb(bytes), message);
  }
});

Deno.test("samples: raw WiFi CSI samples become auki_edge.rf.WifiCsiFrame", () => {
  const encode = encoderOf("auki_edge.rf.wifi_csi", {
    kind: "rf",
    type: "wifi",
  });
  const bytes = new Uint8Array(20 + 2 * 8);
  const view = new DataView(bytes.buffer);
  bytes.set([1, 2, 3, 4, 5, 6]);
  view.setInt32(8, -42, true);
  view.setUint32(12, 36, true);
  view.setUint32(16, 2, true);
  [1.5, 2.5, 0.25, -0.5].forEach((v, i) =>
    view.setFloat32(20 + 4 * i, v, true)
  );
  const frame = fromBinary(WifiCsiFrameSchema, encode(bytes));
  assert.deepEqual(frame.sourceMac, Uint8Array.of(1, 2, 3, 4, 5, 6));
  assert.equal(frame.rssiDbm, -42);
  assert.equal(frame.channel, 36);
  assert.deepEqual(frame.amplitudes, [1.5, 2.5]);
  assert.deepEqual(frame.phasesRad, [0.25, -0.5]);
  assert.throws(() => encode(bytes.subarray(0, 30)), /2 subcarriers needs 36/);
});
