/**
 * Payload kinds (the stream manifest's `payload`) and their messages, for
 * consumers: decoding, one-line summaries and JSON renderings.
 *
 * @module
 */
import {
  type DescMessage,
  fromBinary,
  type JsonValue,
  toJson,
} from "@bufbuild/protobuf";
import {
  AudioDataSchema,
  JointEncodersDataSchema,
  PointCloudDataSchema,
  ScalarDataSchema,
} from "../core/proto/payload_schemas.ts";
import { CameraFrameSchema } from "../core/proto/gen/auki/camera_pb.ts";
import { DetectionFrameSchema } from "../core/proto/gen/auki/detection_pb.ts";
import { MapUpdateSchema } from "../core/proto/gen/auki/map_pb.ts";
import { SpatialTransformSchema } from "../core/proto/gen/auki/pose_pb.ts";
import { TimeTransformEntrySchema } from "../core/proto/gen/auki/time_transform_pb.ts";
import {
  UwbFrameSchema,
  WifiCsiFrameSchema,
} from "../core/proto/gen/auki_edge/rf_pb.ts";
import type { SensorEntry } from "../core/registries/entries.ts";
import { TIME_TRANSFORM_PAYLOAD } from "./catalog/log_resource.ts";

/** Payload kind strings and their protobuf messages. */
export const PAYLOAD_SCHEMAS: Record<string, DescMessage> = {
  camera_frame: CameraFrameSchema,
  point_cloud_frame: PointCloudDataSchema,
  joint_encoders_frame: JointEncodersDataSchema,
  audio_frame: AudioDataSchema,
  scalar: ScalarDataSchema,
  spatial_transform: SpatialTransformSchema,
  detection: DetectionFrameSchema,
  map_update: MapUpdateSchema,
  [TIME_TRANSFORM_PAYLOAD]: TimeTransformEntrySchema,
  "auki_edge.rf.uwb": UwbFrameSchema,
  "auki_edge.rf.wifi_csi": WifiCsiFrameSchema,
};

/** A payload as proto3 JSON, or its size when the kind is unknown. */
export function payloadJson(kind: string, payload: Uint8Array): JsonValue {
  const schema = PAYLOAD_SCHEMAS[kind];
  if (schema === undefined) {
    return { unknown_kind: kind, bytes: payload.byteLength };
  }
  return toJson(schema, fromBinary(schema, payload));
}

/**
 * A one-line human summary of a payload. `sensor` (the sensor's registry
 * entry, when known) lets it count points and name the image format.
 */
export function summarizePayload(
  kind: string,
  payload: Uint8Array,
  sensor?: SensorEntry,
): string {
  switch (kind) {
    case "camera_frame": {
      const frame = fromBinary(CameraFrameSchema, payload);
      const format = sensor?.kind === "camera"
        ? `${sensor.width}x${sensor.height} ${sensor.pixel_format} `
        : "";
      const k = frame.dynamicIntrinsics;
      return `${format}image ${frame.frame.byteLength} bytes${
        k ? ` fx=${k.fx} fy=${k.fy} cx=${k.cx} cy=${k.cy}` : ""
      }`;
    }
    case "point_cloud_frame": {
      const { data, scanDurationNs } = fromBinary(
        PointCloudDataSchema,
        payload,
      );
      const points = sensor?.kind === "rangefinder"
        ? summarizePoints(data, sensor)
        : `point cloud ${data.byteLength} bytes`;
      return scanDurationNs > 0n
        ? `${points}, revolution ${
          (Number(scanDurationNs) / 1e6).toFixed(1)
        } ms`
        : points;
    }
    case "joint_encoders_frame": {
      const { anglesRad, jointErrors } = fromBinary(
        JointEncodersDataSchema,
        payload,
      );
      return `${anglesRad.length} joints [${
        anglesRad.map((a) => a.toFixed(4)).join(", ")
      }] rad${
        jointErrors.some((e) => e !== 0)
          ? ` errors [${
            jointErrors.map((e) => `0x${e.toString(16)}`).join(", ")
          }]`
          : ""
      }`;
    }
    case "auki_edge.rf.uwb": {
      const frame = fromBinary(UwbFrameSchema, payload);
      const ranges = frame.ranges.map((r) =>
        `${r.anchorId}=${r.distanceM.toFixed(3)}m`
      ).join(" ");
      const p = frame.position;
      return `${frame.ranges.length} ranges ${ranges}${
        p
          ? ` position (${p.x.toFixed(3)}, ${p.y.toFixed(3)}, ${
            p.z.toFixed(3)
          }) m`
          : ""
      }${
        frame.errorsSinceLast > 0
          ? `, ${frame.errorsSinceLast} error answers before it (last code ${frame.lastErrorCode})`
          : ""
      }`;
    }
    case TIME_TRANSFORM_PAYLOAD: {
      const entry = fromBinary(TimeTransformEntrySchema, payload);
      return `offset ${entry.offsetNs} ns uncertainty ${entry.uncertaintyNs} ns`;
    }
    case "scalar":
      return `value ${fromBinary(ScalarDataSchema, payload).value}`;
    case "spatial_transform": {
      const { translation: t, orientation: q } = fromBinary(
        SpatialTransformSchema,
        payload,
      );
      return `translation (${t?.x ?? 0}, ${t?.y ?? 0}, ${
        t?.z ?? 0
      }) rotation (${q?.x ?? 0}, ${q?.y ?? 0}, ${q?.z ?? 0}, ${q?.w ?? 0})`;
    }
    default:
      return `${kind} ${payload.byteLength} bytes`;
  }
}

function summarizePoints(
  data: Uint8Array,
  sensor: Extract<SensorEntry, { kind: "rangefinder" }>,
): string {
  const count = Math.floor(data.byteLength / sensor.point_step);
  const x = sensor.fields.find((f) =>
    f.name === "x" && f.datatype === "float32"
  );
  const y = sensor.fields.find((f) =>
    f.name === "y" && f.datatype === "float32"
  );
  if (x === undefined || y === undefined || sensor.is_bigendian) {
    return `${count} points`;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < count; i++) {
    const base = i * sensor.point_step;
    const r = Math.hypot(
      view.getFloat32(base + x.offset, true),
      view.getFloat32(base + y.offset, true),
    );
    if (Number.isFinite(r)) {
      min = Math.min(min, r);
      max = Math.max(max, r);
    }
  }
  return Number.isFinite(min)
    ? `${count} points, range ${min.toFixed(2)}-${max.toFixed(2)} m`
    : `${count} points`;
}
