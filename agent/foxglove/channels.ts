/**
 * How a resource's entries become Foxglove messages, for the Foxglove
 * WebSocket server and MCAP export alike: cameras as `foxglove.RawImage` or
 * `foxglove.CompressedImage`, 2D lidars as `foxglove.PointCloud`, poses and
 * static transforms as `foxglove.FrameTransform` (all protobuf), every
 * other known payload (UWB, CSI, joints, time transforms, ...) as its proto3
 * JSON with a JSON Schema.
 *
 * @module
 */
import {
  create,
  type DescMessage,
  fromBinary,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { PointCloudDataSchema } from "../../core/proto/payload_schemas.ts";
import { CameraFrameSchema } from "../../core/proto/gen/auki/camera_pb.ts";
import { SpatialTransformSchema } from "../../core/proto/gen/auki/pose_pb.ts";
import { PAYLOAD_SCHEMAS } from "../payloads.ts";
import {
  POINT_DATATYPE_BYTES,
  type PointField,
  type SensorEntry,
} from "../../core/registries/entries.ts";
import { foxgloveSchema, type FoxgloveSchemaName } from "./schemas.ts";
import { messageJsonSchema } from "./json_schema.ts";

/** What a channel is made from: one resource and what describes its entries. */
export interface ChannelSource {
  /** The resource's `resource_id`. */
  resourceId: string;
  /** Stream manifest payload kind of its entries (e.g. `camera_frame`). */
  payload: string;
  /** The sensor's registry entry (sensor logs), when known. */
  sensor?: SensorEntry;
  /** The frame the entries are in (a sensor's frame id). */
  frameId?: string;
  /** Parent and child frame ids of a pose log. */
  frames?: { parent: string; child: string };
}

/** A channel's schema and how to turn one entry into one message. */
export interface ChannelSpec {
  /** Topic: the resource id, rooted at `/`. */
  topic: string;
  /** Schema name (e.g. `foxglove.RawImage`, `auki_edge.rf.UwbFrame`). */
  schemaName: string;
  /** `protobuf` (a FileDescriptorSet) or `jsonschema`. */
  schemaEncoding: "protobuf" | "jsonschema";
  /** The schema bytes. */
  schema: Uint8Array;
  /** `protobuf` or `json`. */
  messageEncoding: "protobuf" | "json";
  /** Encodes the entry recorded at `timestampNs` with `payload`. */
  encode(payload: Uint8Array, timestampNs: bigint): Uint8Array<ArrayBuffer>;
}

/** NumericType of foxglove.PackedElementField per point field datatype. */
const NUMERIC_TYPES: Record<PointField["datatype"], number> = {
  uint8: 1,
  int8: 2,
  uint16: 3,
  int16: 4,
  uint32: 5,
  int32: 6,
  float32: 7,
  float64: 8,
};

/** foxglove.RawImage encodings of registry pixel formats that differ in name. */
const RAW_ENCODINGS: Record<string, string> = {
  yuv_nv12: "nv12",
  luma8: "mono8",
  "16uc1": "16UC1",
};

/** The topic of a resource. */
export function topicOf(resourceId: string): string {
  return resourceId.startsWith("/") ? resourceId : `/${resourceId}`;
}

/** A foxglove Timestamp of UTC nanoseconds. */
function timestampOf(ns: bigint): { seconds: bigint; nanos: number } {
  const seconds = ns / 1_000_000_000n;
  return { seconds, nanos: Number(ns - seconds * 1_000_000_000n) };
}

/** The channel of `source`, or `undefined` when its payload kind is unknown. */
export function channelFor(source: ChannelSource): ChannelSpec | undefined {
  const topic = topicOf(source.resourceId);
  const frameId = source.frameId ?? "";
  const sensor = source.sensor;
  if (source.payload === "camera_frame" && sensor?.kind === "camera") {
    if (sensor.image_encoding === "raw") {
      const encoding = RAW_ENCODINGS[sensor.pixel_format.toLowerCase()] ??
        sensor.pixel_format;
      return foxglove(topic, "RawImage", (payload, ns) => ({
        timestamp: timestampOf(ns),
        frameId,
        width: sensor.width,
        height: sensor.height,
        encoding,
        step: sensor.row_stride_bytes,
        data: fromBinary(CameraFrameSchema, payload).frame,
      }), "data");
    }
    return foxglove(topic, "CompressedImage", (payload, ns) => ({
      timestamp: timestampOf(ns),
      frameId,
      data: fromBinary(CameraFrameSchema, payload).frame,
      format: sensor.image_encoding,
    }), "data");
  }
  if (
    source.payload === "point_cloud_frame" && sensor?.kind === "rangefinder" &&
    !sensor.is_bigendian
  ) {
    const fields = sensor.fields.flatMap((f) =>
      Array.from({ length: f.count }, (_, i) => ({
        name: f.count === 1 ? f.name : `${f.name}${i}`,
        offset: f.offset + i * POINT_DATATYPE_BYTES[f.datatype],
        type: NUMERIC_TYPES[f.datatype],
      }))
    );
    return foxglove(topic, "PointCloud", (payload, ns) => ({
      timestamp: timestampOf(ns),
      frameId,
      pose: { position: {}, orientation: { w: 1 } },
      pointStride: sensor.point_step,
      fields,
      data: fromBinary(PointCloudDataSchema, payload).data,
    }), "data");
  }
  if (source.payload === "spatial_transform" && source.frames !== undefined) {
    const { parent, child } = source.frames;
    return foxglove(topic, "FrameTransform", (payload, ns) => {
      const t = fromBinary(SpatialTransformSchema, payload);
      return {
        timestamp: timestampOf(ns),
        parentFrameId: parent,
        childFrameId: child,
        translation: t.translation ?? {},
        rotation: t.orientation ?? { w: 1 },
      };
    });
  }
  const message = PAYLOAD_SCHEMAS[source.payload];
  return message && jsonChannel(topic, message);
}

/**
 * A protobuf channel of a Foxglove schema. The bytes field `bulk` (image or
 * point data), when named, is appended behind the other fields with one
 * copy rather than passed through the encoder (field order is free in
 * protobuf).
 */
function foxglove(
  topic: string,
  name: FoxgloveSchemaName,
  fields: (payload: Uint8Array, timestampNs: bigint) => Record<string, unknown>,
  bulk?: string,
): ChannelSpec {
  const schema = foxgloveSchema(name);
  const bulkField = bulk === undefined
    ? undefined
    : schema.message.fields.find((f) => f.localName === bulk);
  return {
    topic,
    schemaName: schema.name,
    schemaEncoding: "protobuf",
    schema: schema.data,
    messageEncoding: "protobuf",
    encode: (payload, ns) => {
      const values = fields(payload, ns);
      if (bulkField === undefined) {
        return toBinary(schema.message, create(schema.message, values));
      }
      const { [bulkField.localName]: data, ...rest } = values;
      const bytes = data as Uint8Array;
      const head = toBinary(schema.message, create(schema.message, rest));
      const tag = new BinaryWriter()
        .tag(bulkField.number, WireType.LengthDelimited)
        .uint32(bytes.byteLength)
        .finish();
      const out = new Uint8Array(
        head.byteLength + tag.byteLength + bytes.byteLength,
      );
      out.set(head);
      out.set(tag, head.byteLength);
      out.set(bytes, head.byteLength + tag.byteLength);
      return out;
    },
  };
}

function jsonChannel(topic: string, message: DescMessage): ChannelSpec {
  const encoder = new TextEncoder();
  return {
    topic,
    schemaName: message.typeName,
    schemaEncoding: "jsonschema",
    schema: encoder.encode(JSON.stringify(messageJsonSchema(message))),
    messageEncoding: "json",
    encode: (payload) =>
      encoder.encode(toJsonString(message, fromBinary(message, payload))),
  };
}
