/**
 * The pinhole camera with `plumb_bob` / `brown_conrady` distortion as OpenCV
 * and ROS define it: coefficients `[k1, k2, p1, p2, k3]` (missing ones are
 * zero) on normalized image coordinates, then `u = fx * x + cx`,
 * `v = fy * y + cy`.
 *
 * @module
 */
import type { CameraCalibration } from "../core/registries/entries.ts";
import { applyRigid, type Rigid, type Vec3 } from "./geometry.ts";

/** Pinhole calibration of an undistorted image with horizontal field of view `hfovDeg`. */
export function pinholeCalibration(
  width: number,
  height: number,
  hfovDeg: number,
): CameraCalibration {
  // Micro-pixel rounding keeps e.g. 90 degrees at 640 px an exact 320.
  const f = Math.round(width / 2 / Math.tan(hfovDeg * Math.PI / 360) * 1e6) /
    1e6;
  return { fx: f, fy: f, cx: width / 2, cy: height / 2 };
}

/** Distorts normalized coordinates `(x, y)` with `[k1, k2, p1, p2, k3]`. */
function distort(
  x: number,
  y: number,
  d: readonly number[],
): [number, number] {
  const [k1 = 0, k2 = 0, p1 = 0, p2 = 0, k3 = 0] = d;
  const r2 = x * x + y * y;
  const radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
  return [
    x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
    y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y,
  ];
}

/**
 * Inverts {@link distort} by fixed-point iteration (OpenCV's
 * `undistortPoints` method), to well below a micro-pixel for moderate lenses.
 */
export function undistort(
  xd: number,
  yd: number,
  d: readonly number[],
  iterations = 20,
): [number, number] {
  const [k1 = 0, k2 = 0, p1 = 0, p2 = 0, k3 = 0] = d;
  let x = xd;
  let y = yd;
  for (let i = 0; i < iterations; i++) {
    const r2 = x * x + y * y;
    const radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    const dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
    const dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    x = (xd - dx) / radial;
    y = (yd - dy) / radial;
  }
  return [x, y];
}

/** The pixel of camera-frame point `p` (`z` forward), or `undefined` behind the camera. */
export function projectPoint(
  k: CameraCalibration,
  p: Vec3,
): [number, number] | undefined {
  if (p[2] <= 1e-9) return undefined;
  const [x, y] = distort(
    p[0] / p[2],
    p[1] / p[2],
    k.distortion_coefficients ?? [],
  );
  return [k.fx * x + k.cx, k.fy * y + k.cy];
}

/**
 * Root-mean-square pixel distance between `observed` pixels and the
 * projections of `points` (target frame) seen from `pose` (target → camera).
 */
export function reprojectionRms(
  k: CameraCalibration,
  pose: Rigid,
  points: readonly Vec3[],
  observed: readonly [number, number][],
): number {
  let sum = 0;
  points.forEach((p, i) => {
    const uv = projectPoint(k, applyRigid(pose, p));
    if (uv === undefined) {
      sum += Infinity;
      return;
    }
    sum += (uv[0] - observed[i][0]) ** 2 + (uv[1] - observed[i][1]) ** 2;
  });
  return Math.sqrt(sum / points.length);
}
