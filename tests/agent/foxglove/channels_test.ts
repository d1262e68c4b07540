/**
 * Entries as Foxglove messages: each kind of resource gets its schema, and
 * its messages decode with the channel's own schema to what was recorded.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  create,
  createFileRegistry,
  type DescMessage,
  fromBinary,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import {
  channelFor,
  type ChannelSpec,
} from "../../../agent/foxglove/channels.ts";
import { CameraFrameSchema } from "../../../core/proto/gen/auki/camera_pb.ts";
import { SpatialTransformSchema } from "../../../core/proto/gen/auki/pose_pb.ts";
import { UwbFrameSchema } from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import { PointCloudDataSchema } from "../../../core/proto/payload_schemas.ts";
import type { SensorEntry } from "../../../core/registries/entries.ts";

const REF = { peer_id: "p", id: "f", hash: "0".repeat(32) };
const camera = {
  peer_id: "p",
  sensor_id: "cam",
  type: "rgb",
  kind: "camera",
  width: 4,
  height: 2,
  frame_rate_hz: 30,
  image_encoding: "raw",
  pixel_format: "YUV_NV12",
  row_stride_bytes: 4,
  color_space: "srgb",
  intrinsics_model: "pinhole",
  distortion_model: "none",
  frame: REF,
} as const satisfies SensorEntry;

function decoded(spec: ChannelSpec, data: Uint8Array): Record<string, unknown> {
  assert.equal(spec.schemaEncoding, "protobuf");
  const message: DescMessage = createFileRegistry(
    fromBinary(FileDescriptorSetSchema, spec.schema),
  ).getMessage(spec.schemaName)!;
  return fromBinary(message, data) as unknown as Record<string, unknown>;
}

Deno.test("channels: raw and JPEG cameras, point clouds, poses, JSON and unknown kinds", () => {
  const ns = 1_700_000_000_123_456_789n;
  const stamp = { seconds: 1_700_000_000n, nanos: 123_456_789 };
  const pixels = Uint8Array.from({ length: 12 }, (_, i) => i);
  const frame = toBinary(
    CameraFrameSchema,
    create(CameraFrameSchema, { frame: pixels }),
  );

  const raw = channelFor({
    resourceId: "cam",
    payload: "camera_frame",
    sensor: camera,
    frameId: "cam_optical",
  })!;
  assert.equal(raw.topic, "/cam");
  assert.equal(raw.schemaName, "foxglove.RawImage");
  const image = decoded(raw, raw.encode(frame, ns));
  assert.equal(image.encoding, "nv12");
  assert.equal(image.frameId, "cam_optical");
  assert.deepEqual([image.width, image.height, image.step], [4, 2, 4]);
  assert.deepEqual(image.data, pixels);
  assert.deepEqual(
    {
      seconds: (image.timestamp as typeof stamp).seconds,
      nanos: (image.timestamp as typeof stamp).nanos,
    },
    stamp,
  );

  const jpeg = channelFor({
    resourceId: "mjpg",
    payload: "camera_frame",
    sensor: {
      ...camera,
      image_encoding: "jpeg",
      pixel_format: "rgb8",
      row_stride_bytes: 0,
    },
  })!;
  assert.equal(jpeg.schemaName, "foxglove.CompressedImage");
  const compressed = decoded(jpeg, jpeg.encode(frame, ns));
  assert.equal(compressed.format, "jpeg");
  assert.deepEqual(compressed.data, pixels);

  const lidarSensor = {
    peer_id: "p",
    sensor_id: "lidar",
    type: "lidar2d",
    kind: "rangefinder",
    fields: [
      { name: "x", offset: 0, datatype: "float32", count: 1 },
      { name: "y", offset: 4, datatype: "float32", count: 1 },
      { name: "rgb", offset: 8, datatype: "uint8", count: 3 },
    ],
    point_step: 12,
    is_bigendian: false,
    frame_rate_hz: 10,
    frame: REF,
  } as const satisfies SensorEntry;
  const points = new Uint8Array(36).fill(7);
  const cloudPayload = toBinary(
    PointCloudDataSchema,
    create(PointCloudDataSchema, { data: points }),
  );
  const lidar = channelFor({
    resourceId: "lidar",
    payload: "point_cloud_frame",
    sensor: lidarSensor,
  })!;
  assert.equal(lidar.schemaName, "foxglove.PointCloud");
  const cloud = decoded(lidar, lidar.encode(cloudPayload, ns));
  assert.equal(cloud.pointStride, 12);
  assert.deepEqual(
    (cloud.fields as { name: string; offset: number; type: number }[]).map((
      f,
    ) => [f.name, f.offset, f.type]),
    [["x", 0, 7], ["y", 4, 7], ["rgb0", 8, 1], ["rgb1", 9, 1], ["rgb2", 10, 1]],
  );
  assert.deepEqual(cloud.data, points);
  const bigEndian = channelFor({
    resourceId: "lidar",
    payload: "point_cloud_frame",
    sensor: { ...lidarSensor, is_bigendian: true },
  })!;
  assert.equal(bigEndian.messageEncoding, "json");

  const pose = channelFor({
    resourceId: "base>lidar",
    payload: "spatial_transform",
    frames: { parent: "base", child: "lidar" },
  })!;
  assert.equal(pose.schemaName, "foxglove.FrameTransform");
  const transform = decoded(
    pose,
    pose.encode(
      toBinary(
        SpatialTransformSchema,
        create(SpatialTransformSchema, {
          translation: { x: 1, y: 2, z: 3 },
          orientation: { w: 1 },
        }),
      ),
      ns,
    ),
  );
  assert.equal(transform.parentFrameId, "base");
  assert.equal(transform.childFrameId, "lidar");
  assert.equal((transform.translation as { z: number }).z, 3);

  const uwb = channelFor({ resourceId: "uwb", payload: "auki_edge.rf.uwb" })!;
  assert.equal(uwb.schemaEncoding, "jsonschema");
  assert.equal(uwb.schemaName, "auki_edge.rf.UwbFrame");
  const schema = JSON.parse(new TextDecoder().decode(uwb.schema));
  assert.equal(schema.properties.ranges.type, "array");
  assert.equal(
    schema.properties.ranges.items.properties.distanceM.type,
    "number",
  );
  const json = JSON.parse(new TextDecoder().decode(uwb.encode(
    toBinary(
      UwbFrameSchema,
      create(UwbFrameSchema, { ranges: [{ anchorId: "A1", distanceM: 2.5 }] }),
    ),
    ns,
  )));
  assert.deepEqual(json, { ranges: [{ anchorId: "A1", distanceM: 2.5 }] });

  assert.equal(
    channelFor({ resourceId: "x", payload: "vendor.thing" }),
    undefined,
  );
});
