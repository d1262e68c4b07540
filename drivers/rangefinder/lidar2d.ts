/**
 * What every 2D lidar driver (real or simulated) publishes: its sensor
 * description and its point records, packed little-endian float32
 * `x, y, z, intensity` (16 bytes, spec README decision 5) in the sensor
 * frame (ros_body: x forward, y left, z up, meters).
 *
 * @module
 */
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

/** The description of 2D lidar `config.id`: packed `x,y,z,intensity` point clouds in its body frame. */
export function lidar2dDescription(
  config: { id: string; frame_id?: string; rate_hz: number },
): SensorDescription {
  return {
    sensor: {
      sensor_id: config.id,
      kind: "rangefinder",
      type: "2d_lidar",
      fields: LIDAR_FIELDS,
      point_step: POINT_STEP,
      is_bigendian: false,
      frame_rate_hz: Math.round(config.rate_hz),
    },
    frame: bodyFrame(config.id, config.frame_id),
    payload: "point_cloud_frame",
    rateHz: config.rate_hz,
  };
}
