/**
 * `sim.lidar2d`: a simulated 2D lidar publishing one 360-point scan per tick
 * (spec datatypes.md 2.2, payload kind `point_cloud_frame`).
 *
 * Scene ({@link ROOM}): an 8 m x 6 m room, x in [0, 8] and y in [0, 6], with
 * a 1 m doorway in the wall x = 8 and a round obstacle sliding along
 * y = 4.9. The lidar circles the room centre on an ellipse, facing where it
 * goes. Beam `i` points `i` degrees counter-clockwise from the sensor's
 * forward axis. Ranges carry seeded gaussian noise ({@link RANGE_NOISE_M});
 * a beam with no return within {@link MAX_RANGE_M} (out through the doorway)
 * is reported as the point at exactly the maximum range with intensity 0.
 *
 * Each scan is a snapshot (all beams at the tick's instant), so it carries
 * no revolution time. Records are packed as every 2D lidar's (16 bytes) in
 * the sensor frame (ros_body: x forward, y left, z up, meters), z = 0. Intensity is the surface reflectivity times the
 * cosine of the incidence angle, unitless in [0, 1].
 *
 * @module
 */
import { z } from "zod";
import { RegistryId } from "../../core/registries/entries.ts";
import type { DriverFactory } from "../driver.ts";
import { RateHz, Seed } from "../sim/config.ts";
import { seededRandom } from "../sim/random.ts";
import { tickingDriver } from "../sim/ticking_driver.ts";
import {
  lidar2dDescription,
  type LidarPoint,
  type LidarProperties,
  scanPayload,
} from "./lidar2d.ts";

/** Points per scan, one per degree. */
export const POINTS_PER_SCAN = 360;
/** Farthest range reported, meters. */
export const MAX_RANGE_M = 12;
/** What the simulated lidar's entry says: reflectance 0-1, up to 12 m, beams counter-clockwise. */
export const SIM_LIDAR_PROPERTIES: LidarProperties = {
  intensity_meaning: "simulated_reflectance",
  intensity_min: 0,
  intensity_max: 1,
  range_min_m: 0,
  range_max_m: MAX_RANGE_M,
  scan_direction: "counterclockwise",
};
/** Standard deviation of the range noise, meters. */
export const RANGE_NOISE_M = 0.01;
/** The simulated room: walls at x = 0, x = width, y = 0, y = depth, meters. */
export const ROOM = {
  width: 8,
  depth: 6,
  /** The opening in the wall x = width spans y in [doorFrom, doorTo]. */
  doorFrom: 2.5,
  doorTo: 3.5,
  obstacleRadius: 0.3,
} as const;

const WALL_REFLECTIVITY = 0.6;
const OBSTACLE_REFLECTIVITY = 0.9;

/** A 2D pose in the room: position (m) and heading (rad, counter-clockwise from +x). */
export interface Pose2d {
  /** Room x, meters. */
  x: number;
  /** Room y, meters. */
  y: number;
  /** Heading, radians from the room's +x axis. */
  heading: number;
}

/** The lidar's pose in the room at time `t` seconds: a 60 s lap of an ellipse. */
export function lidarPose(t: number): Pose2d {
  const a = 2 * Math.PI * t / 60;
  // Position (4 + 1.5 cos a, 3 + sin a); heading along its derivative.
  return {
    x: 4 + 1.5 * Math.cos(a),
    y: 3 + Math.sin(a),
    heading: Math.atan2(Math.cos(a), -1.5 * Math.sin(a)),
  };
}

/** The obstacle centre in the room at time `t` seconds (20 s back and forth). */
export function obstacleCentre(t: number): { x: number; y: number } {
  return { x: 4 + 2.5 * Math.sin(2 * Math.PI * t / 20), y: 4.9 };
}

/** Scan number `index` at `rateHz`, noise seeded by `seed`. */
export function simulateScan(
  seed: number,
  index: number,
  rateHz: number,
): LidarPoint[] {
  const t = index / rateHz;
  const pose = lidarPose(t);
  const obstacle = obstacleCentre(t);
  const random = seededRandom(seed, index);
  const points: LidarPoint[] = [];
  for (let i = 0; i < POINTS_PER_SCAN; i++) {
    const angle = i * Math.PI / 180;
    const world = pose.heading + angle;
    const hit = castRay(pose, Math.cos(world), Math.sin(world), obstacle);
    const range = hit === undefined
      ? MAX_RANGE_M
      : Math.min(MAX_RANGE_M, hit.range + random.gaussian(RANGE_NOISE_M));
    points.push({
      x: range * Math.cos(angle),
      y: range * Math.sin(angle),
      z: 0,
      intensity: hit === undefined ? 0 : hit.intensity,
    });
  }
  return points;
}

/** The nearest surface along a ray from `from` in unit direction (dx, dy). */
function castRay(
  from: { x: number; y: number },
  dx: number,
  dy: number,
  obstacle: { x: number; y: number },
): { range: number; intensity: number } | undefined {
  let best: { range: number; intensity: number } | undefined;
  const consider = (range: number, reflectivity: number, cosine: number) => {
    if (range > 0 && range <= MAX_RANGE_M && !(best && best.range <= range)) {
      best = { range, intensity: reflectivity * Math.abs(cosine) };
    }
  };
  for (const wallX of [0, ROOM.width]) {
    const range = (wallX - from.x) / dx;
    const y = from.y + range * dy;
    const inDoor = wallX === ROOM.width && y > ROOM.doorFrom &&
      y < ROOM.doorTo;
    if (y >= 0 && y <= ROOM.depth && !inDoor) {
      consider(range, WALL_REFLECTIVITY, dx);
    }
  }
  for (const wallY of [0, ROOM.depth]) {
    const range = (wallY - from.y) / dy;
    const x = from.x + range * dx;
    if (x >= 0 && x <= ROOM.width) consider(range, WALL_REFLECTIVITY, dy);
  }
  // |from + s d - c|^2 = r^2, nearer root.
  const ox = from.x - obstacle.x;
  const oy = from.y - obstacle.y;
  const b = ox * dx + oy * dy;
  const disc = b * b - (ox * ox + oy * oy - ROOM.obstacleRadius ** 2);
  if (disc >= 0) {
    const range = -b - Math.sqrt(disc);
    const nx = (ox + range * dx) / ROOM.obstacleRadius;
    const ny = (oy + range * dy) / ROOM.obstacleRadius;
    consider(range, OBSTACLE_REFLECTIVITY, nx * dx + ny * dy);
  }
  return best;
}

const Config = z.strictObject({
  id: RegistryId.default("sim_lidar"),
  frame_id: RegistryId.optional(),
  rate_hz: RateHz.default(10),
  seed: Seed.default(1),
});

/** The `sim.lidar2d` driver: a 360-point 2D lidar moving through a room. */
export const simLidar2d: DriverFactory<typeof Config> = {
  name: "sim.lidar2d",
  summary: "simulated 2D lidar (360 points per scan in an 8 m x 6 m room)",
  config: Config,
  create(config) {
    return tickingDriver(
      lidar2dDescription(config, SIM_LIDAR_PROPERTIES),
      (index) => scanPayload(simulateScan(config.seed, index, config.rate_hz)),
    );
  },
};
