/**
 * The pinhole camera with the distortion models OpenCV and ROS define, on
 * normalized image coordinates, then `u = fx * x + cx`, `v = fy * y + cy`:
 * `plumb_bob` (alias `brown_conrady`) `[k1, k2, p1, p2, k3]`,
 * `rational_polynomial` `[k1, k2, p1, p2, k3, k4, k5, k6]` (the radial
 * factor is `(1 + k1 r² + k2 r⁴ + k3 r⁶) / (1 + k4 r² + k5 r⁴ + k6 r⁶)`;
 * missing coefficients are zero, so plumb_bob is its special case) and
 * `equidistant` (Kannala-Brandt, OpenCV's fisheye) `[k1, k2, k3, k4]`:
 * `θd = θ (1 + k1 θ² + k2 θ⁴ + k3 θ⁶ + k4 θ⁸)` of the angle `θ` from the
 * optical axis.
 *
 * @module
 */
import type { CameraCalibration } from "../core/registries/entries.ts";
import { applyRigid, type Rigid, type Vec3 } from "./geometry.ts";

/** The registry `distortion_model` names of the models. */
export const DISTORTION_MODELS = [
  "plumb_bob",
  "brown_conrady",
  "rational_polynomial",
  "equidistant",
] as const;
/** A distortion model name. */
export type DistortionModel = typeof DISTORTION_MODELS[number];

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

/** Distorts normalized coordinates `(x, y)` with coefficients `d` of `model` (default plumb_bob). */
export function distort(
  x: number,
  y: number,
  d: readonly number[],
  model: string = "plumb_bob",
): [number, number] {
  if (model === "equidistant") {
    const r = Math.hypot(x, y);
    if (r < 1e-12) return [x, y];
    const [k1 = 0, k2 = 0, k3 = 0, k4 = 0] = d;
    const t = Math.atan(r);
    const t2 = t * t;
    const td = t * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4))));
    return [x * td / r, y * td / r];
  }
  const [k1 = 0, k2 = 0, p1 = 0, p2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0] = d;
  const r2 = x * x + y * y;
  const radial = (1 + r2 * (k1 + r2 * (k2 + r2 * k3))) /
    (1 + r2 * (k4 + r2 * (k5 + r2 * k6)));
  return [
    x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
    y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y,
  ];
}

/**
 * Inverts {@link distort}: fixed-point iteration (OpenCV's `undistortPoints`
 * method) for the polynomial models, to well below a micro-pixel for
 * moderate lenses; Newton's method on the angle for `equidistant`.
 */
export function undistort(
  xd: number,
  yd: number,
  d: readonly number[],
  iterations = 20,
  model: string = "plumb_bob",
): [number, number] {
  if (model === "equidistant") {
    const rd = Math.hypot(xd, yd);
    if (rd < 1e-12) return [xd, yd];
    const [k1 = 0, k2 = 0, k3 = 0, k4 = 0] = d;
    let t = rd;
    for (let i = 0; i < iterations; i++) {
      const t2 = t * t;
      const f = t * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4)))) - rd;
      const df = 1 +
        t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + 9 * t2 * k4)));
      t -= f / df;
    }
    const r = Math.tan(Math.min(t, Math.PI / 2 - 1e-9));
    return [xd * r / rd, yd * r / rd];
  }
  const [k1 = 0, k2 = 0, p1 = 0, p2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0] = d;
  let x = xd;
  let y = yd;
  for (let i = 0; i < iterations; i++) {
    const r2 = x * x + y * y;
    const radial = (1 + r2 * (k1 + r2 * (k2 + r2 * k3))) /
      (1 + r2 * (k4 + r2 * (k5 + r2 * k6)));
    const dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
    const dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    x = (xd - dx) / radial;
    y = (yd - dy) / radial;
  }
  return [x, y];
}

/** The pixel of camera-frame point `p` (`z` forward) through `model`, or `undefined` behind the camera. */
export function projectPoint(
  k: CameraCalibration,
  p: Vec3,
  model: string = "plumb_bob",
): [number, number] | undefined {
  if (p[2] <= 1e-9) return undefined;
  const [x, y] = distort(
    p[0] / p[2],
    p[1] / p[2],
    k.distortion_coefficients ?? [],
    model,
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
  model: string = "plumb_bob",
): number {
  let sum = 0;
  points.forEach((p, i) => {
    const uv = projectPoint(k, applyRigid(pose, p), model);
    if (uv === undefined) {
      sum += Infinity;
      return;
    }
    sum += (uv[0] - observed[i][0]) ** 2 + (uv[1] - observed[i][1]) ** 2;
  });
  return Math.sqrt(sum / points.length);
}
