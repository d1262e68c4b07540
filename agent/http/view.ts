/**
 * `/api/view`: what the status page draws, from the newest recorded entry
 * of each online log, decoded only when asked: camera sizes, lidar scans
 * as top-down points in metres, UWB ranges and position, joint angles,
 * pose logs (static transforms and the frame tree) and clock offsets.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { Catalog } from "../catalog/catalog.ts";
import type { LogResource } from "../catalog/log_resource.ts";
import {
  JointEncodersDataSchema,
  PointCloudDataSchema,
} from "../../core/proto/payload_schemas.ts";
import { SpatialTransformSchema } from "../../core/proto/gen/auki/pose_pb.ts";
import { TimeTransformEntrySchema } from "../../core/proto/gen/auki/time_transform_pb.ts";
import { UwbFrameSchema } from "../../core/proto/gen/auki_edge/rf_pb.ts";
import type { SensorEntry } from "../../core/registries/entries.ts";
import { latestEntry, type SensorEntries } from "./sensor_entries.ts";

/** Most points of a scan sent to the page. */
export const MAX_SCAN_POINTS = 2048;

/** What the page draws. */
export interface View {
  /** Cameras, with their frame size (the preview keeps the aspect ratio). */
  cameras: { resource_id: string; width: number; height: number }[];
  /** Lidar scans: `[x, y]` in metres in the sensor frame. */
  scans: { resource_id: string; points: [number, number][] }[];
  /** UWB ranges and the tag's position. */
  uwb: {
    resource_id: string;
    ranges: { anchor_id: string; distance_m: number }[];
    position: { x: number; y: number; z: number } | null;
  }[];
  /** Joint angles, radians. */
  joints: { resource_id: string; angles_rad: number[] }[];
  /** Pose logs: parent and child frame, newest translation and rotation. */
  transforms: {
    resource_id: string;
    writer_mode: string;
    from_frame: string;
    to_frame: string;
    translation: [number, number, number];
    rotation: [number, number, number, number];
  }[];
  /**
   * Time transform logs: newest offset (a decimal string: session-to-UTC
   * offsets exceed 2^53 ns) and uncertainty, ns.
   */
  clocks: { resource_id: string; offset_ns: string; uncertainty_ns: number }[];
}

/** The view of the catalog's online logs now. */
export async function viewOf(
  catalog: Catalog,
  entries: SensorEntries,
): Promise<View> {
  const view: View = {
    cameras: [],
    scans: [],
    uwb: [],
    joints: [],
    transforms: [],
    clocks: [],
  };
  for (const resource of catalog.all()) {
    if (!resource.online) continue;
    const sensor = await entries.of(resource);
    if (sensor?.kind === "camera") {
      view.cameras.push({
        resource_id: resource.id,
        width: sensor.width,
        height: sensor.height,
      });
      continue;
    }
    const entry = latestEntry(resource);
    if (entry === undefined) continue;
    try {
      addEntry(view, resource, sensor, entry.payload);
    } catch {
      // A payload that does not decode is left out of the picture.
    }
  }
  return view;
}

function addEntry(
  view: View,
  resource: LogResource,
  sensor: SensorEntry | undefined,
  payload: Uint8Array,
): void {
  const id = resource.id;
  const kind = resource.kind;
  if (kind.variant === "pose_log") {
    const { translation: t, orientation: q } = fromBinary(
      SpatialTransformSchema,
      payload,
    );
    view.transforms.push({
      resource_id: id,
      writer_mode: kind.writerMode,
      from_frame: kind.manifest.from_frame.id,
      to_frame: kind.manifest.to_frame.id,
      translation: [t?.x ?? 0, t?.y ?? 0, t?.z ?? 0],
      rotation: q ? [q.x, q.y, q.z, q.w] : [0, 0, 0, 1],
    });
  } else if (kind.variant === "time_transform_log") {
    const entry = fromBinary(TimeTransformEntrySchema, payload);
    view.clocks.push({
      resource_id: id,
      offset_ns: entry.offsetNs.toString(),
      uncertainty_ns: entry.uncertaintyNs,
    });
  } else if (sensor?.kind === "rangefinder") {
    const { data } = fromBinary(PointCloudDataSchema, payload);
    view.scans.push({ resource_id: id, points: scanPoints(sensor, data) });
  } else if (kind.payload === "auki_edge.rf.uwb") {
    const frame = fromBinary(UwbFrameSchema, payload);
    const p = frame.position;
    view.uwb.push({
      resource_id: id,
      ranges: frame.ranges.map((r) => ({
        anchor_id: r.anchorId,
        distance_m: r.distanceM,
      })),
      position: p ? { x: p.x, y: p.y, z: p.z } : null,
    });
  } else if (kind.payload === "joint_encoders_frame") {
    const { anglesRad } = fromBinary(JointEncodersDataSchema, payload);
    view.joints.push({ resource_id: id, angles_rad: [...anglesRad] });
  }
}

/** The finite `(x, y)` float32 points of a scan, at most {@link MAX_SCAN_POINTS}. */
export function scanPoints(
  sensor: Extract<SensorEntry, { kind: "rangefinder" }>,
  data: Uint8Array,
): [number, number][] {
  const x = sensor.fields.find((f) =>
    f.name === "x" && f.datatype === "float32"
  );
  const y = sensor.fields.find((f) =>
    f.name === "y" && f.datatype === "float32"
  );
  if (x === undefined || y === undefined) return [];
  const count = Math.floor(data.byteLength / sensor.point_step);
  const every = Math.max(1, Math.ceil(count / MAX_SCAN_POINTS));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const little = !sensor.is_bigendian;
  const points: [number, number][] = [];
  for (let i = 0; i < count; i += every) {
    const base = i * sensor.point_step;
    const px = view.getFloat32(base + x.offset, little);
    const py = view.getFloat32(base + y.offset, little);
    if (Number.isFinite(px) && Number.isFinite(py)) {
      points.push([round3(px), round3(py)]);
    }
  }
  return points;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
