/**
 * What every 2D lidar driver (real or simulated) publishes: its sensor
 * description and its point records, packed little-endian float32
 * `x, y, z, intensity` (16 bytes, spec README decision 5) in the sensor
 * frame (ros_body: x forward, y left, z up, meters).
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { DataSchema } from "../../core/proto/gen/auki/point_cloud_pb.ts";
import type { PointField } from "../../core/registries/entries.ts";
import type { SensorDescription } from "../driver.ts";
import { bodyFrame } from "../body_frame.ts";

/** Bytes per packed point record. */
export const POINT_STEP = 16;

/** The point record layout, as the rangefinder registry entry declares it. */
export const LIDAR_FIELDS: PointField[] = ["x", "y", "z", "intensity"].map((
  name,
  i,
) => ({ name, offset: 4 * i, datatype: "float32", count: 1 }));

/** One lidar return in the sensor frame. */
export interface LidarPoint {
  /** Forward, meters. */
  x: number;
  /** Left, meters. */
  y: number;
  /** Up, meters (always 0). */
  z: number;
  /** Reflectivity times incidence cosine; 0 for no return. */
  intensity: number;
}

/**
 * The payload of one scan: its packed points and, for a revolution of a
 * spinning lidar, how long the revolution took (auki-edge's field 1000 of
 * `auki.point_cloud.Data`; 0, omitted, when unknown or not a sweep).
 */
export function scanPayload(
  points: readonly LidarPoint[],
  durationNs = 0n,
): Uint8Array {
  return toBinary(
    DataSchema,
    create(DataSchema, {
      data: packPoints(points),
      scanDurationNs: durationNs,
    }),
  );
}

/** Packs points as little-endian float32 `x, y, z, intensity` records. */
export function packPoints(points: readonly LidarPoint[]): Uint8Array {
  const bytes = new Uint8Array(points.length * POINT_STEP);
  const view = new DataView(bytes.buffer);
  points.forEach((p, i) => {
    const at = i * POINT_STEP;
    view.setFloat32(at, p.x, true);
    view.setFloat32(at + 4, p.y, true);
    view.setFloat32(at + 8, p.z, true);
    view.setFloat32(at + 12, p.intensity, true);
  });
  return bytes;
}

/** What a lidar's sensor entry says about its readings (the optional rangefinder keys). */
export interface LidarProperties {
  /** What `intensity` is, e.g. `ld06_intensity`. */
  intensity_meaning: string;
  /** Smallest intensity the device reports. */
  intensity_min: number;
  /** Largest intensity the device reports. */
  intensity_max: number;
  /** Nearest range measured, m. */
  range_min_m: number;
  /** Farthest range measured, m. */
  range_max_m: number;
  /** The sweep direction seen from +z of the sensor frame (absent for a single beam). */
  scan_direction?: "clockwise" | "counterclockwise";
}

/** The description of 2D lidar `config.id`: packed `x,y,z,intensity` point clouds in its body frame. */
export function lidar2dDescription(
  config: { id: string; frame_id?: string; rate_hz: number },
  properties: LidarProperties,
  type = "2d_lidar",
): SensorDescription {
  return {
    sensor: {
      sensor_id: config.id,
      kind: "rangefinder",
      type,
      fields: LIDAR_FIELDS,
      point_step: POINT_STEP,
      is_bigendian: false,
      frame_rate_hz: Math.round(config.rate_hz),
      ...properties,
    },
    frame: bodyFrame(config.id, config.frame_id),
    payload: "point_cloud_frame",
    rateHz: config.rate_hz,
  };
}
