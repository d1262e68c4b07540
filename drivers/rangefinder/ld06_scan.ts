/**
 * Assembles LD06 packets into whole revolutions and turns a revolution into
 * the packed point records of a `2d_lidar` rangefinder.
 *
 * A scan is the points of one turn: it ends where the angle wraps (drops by
 * more than half a turn). The partial turn seen right after a (re)start is
 * not published. A scan is timestamped at its first packet: the arrival
 * time of the packet that completed it minus the device-clock time between
 * the two (LD06 timestamps are ms modulo 30000).
 *
 * Points go into the sensor frame (ros_body: x forward, y left, meters):
 * the LD06 measures clockwise from its front, so a point at LD06 angle `a`
 * and distance `d` is `x = d cos a`, `y = -d sin a`. Measurements with
 * distance 0 (no return) are dropped; intensity is the LD06 value, 0-255.
 *
 * @module
 */
import type { LidarPoint } from "./lidar2d.ts";
import {
  LD06_POINTS_PER_PACKET,
  LD06_TIMESTAMP_WRAP_MS,
  type Ld06Packet,
  pointAngleDeg,
} from "./ld06_protocol.ts";

/** One measurement of a scan, in device terms. */
export interface ScanPoint {
  /** LD06 angle, degrees clockwise from the front, [0, 360). */
  angleDeg: number;
  /** Distance, mm (never 0: no-return points are dropped). */
  distanceMm: number;
  /** LD06 intensity, 0-255. */
  intensity: number;
}

/** A completed revolution. */
export interface Scan {
  /** Capture time of the first packet, UTC ns. */
  timestampNs: bigint;
  /** How long the revolution took, ns. */
  durationNs: bigint;
  /** Its points in angle order. */
  points: ScanPoint[];
}

/** Collects packets into revolutions. */
export class ScanAssembler {
  #points: ScanPoint[] = [];
  #lastAngle = -1;
  /** False until the first wrap: the first, partial turn is dropped. */
  #aligned = false;
  #firstDeviceMs = 0;
  #firstPending = true;

  /** Adds `packet`, which arrived at `arrivalNs`; returns scans it completed. */
  push(packet: Ld06Packet, arrivalNs: bigint): Scan[] {
    const scans: Scan[] = [];
    for (let i = 0; i < LD06_POINTS_PER_PACKET; i++) {
      const angleDeg = pointAngleDeg(packet, i);
      if (angleDeg < this.#lastAngle - 180) {
        if (this.#aligned) {
          const spanMs = (packet.timestampMs - this.#firstDeviceMs +
            LD06_TIMESTAMP_WRAP_MS) % LD06_TIMESTAMP_WRAP_MS;
          scans.push({
            timestampNs: arrivalNs - BigInt(spanMs) * 1_000_000n,
            durationNs: BigInt(spanMs) * 1_000_000n,
            points: this.#points,
          });
        }
        this.#aligned = true;
        this.#points = [];
        this.#firstPending = true;
      }
      this.#lastAngle = angleDeg;
      if (this.#firstPending) {
        this.#firstDeviceMs = packet.timestampMs;
        this.#firstPending = false;
      }
      const { distanceMm, intensity } = packet.points[i];
      if (distanceMm > 0) {
        this.#points.push({ angleDeg, distanceMm, intensity });
      }
    }
    return scans;
  }

  /** Starts over (after a reconnect): the next partial turn is dropped again. */
  reset(): void {
    this.#points = [];
    this.#lastAngle = -1;
    this.#aligned = false;
    this.#firstPending = true;
  }
}

/**
 * Where a scan's x axis points: `device`, the device's 0° (the conventions
 * above), or `rplidar_ros`, Slamtec's ROS driver's frame, whose x axis
 * points at the device's 180° (it publishes angle `π - a`), so
 * `x = -d cos a`, `y = d sin a`.
 */
export type ScanOrientation = "device" | "rplidar_ros";

/** A scan's points in the sensor frame (ros_body, meters). */
export function scanToPoints(
  scan: Scan,
  orientation: ScanOrientation = "device",
): LidarPoint[] {
  const sign = orientation === "device" ? 1 : -1;
  return scan.points.map(({ angleDeg, distanceMm, intensity }) => {
    const a = angleDeg * Math.PI / 180;
    const d = distanceMm / 1000;
    return {
      x: sign * d * Math.cos(a),
      y: -sign * d * Math.sin(a),
      z: 0,
      intensity,
    };
  });
}
