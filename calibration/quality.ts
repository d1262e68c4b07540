/**
 * Whether a camera calibration may be saved: enough views, a small RMS
 * reprojection error, and views that constrain the focal length (a planar
 * target seen only face-on, or tilted about one axis only, leaves it
 * undetermined).
 *
 * @module
 */
import { matFromQuat, mulMatVec } from "./geometry.ts";
import type { IntrinsicsSolution } from "./solve_intrinsics.ts";

/** The acceptance thresholds. */
export interface QualityLimits {
  /** Fewest views. */
  minViews: number;
  /** Largest RMS reprojection error, pixels. */
  maxRmsPx: number;
}

/** A view counts as tilted beyond this angle, degrees. */
export const MIN_TILT_DEG = 10;
/** Tilted views needed. */
const MIN_TILTED_VIEWS = 3;
/** Largest standard deviation of fx or fy, as a fraction of it. */
const MAX_FOCAL_STD = 0.01;

/** The tilt of each view's board from face-on, and its components about the image axes, degrees. */
export function viewTilts(
  solution: IntrinsicsSolution,
): { tilt: number; aboutX: number; aboutY: number }[] {
  const deg = 180 / Math.PI;
  return solution.poses.map((pose) => {
    const [nx, ny, nz] = mulMatVec(matFromQuat(pose.rotation), [0, 0, 1]);
    return {
      tilt: Math.acos(Math.min(1, Math.abs(nz))) * deg,
      aboutX: Math.abs(Math.asin(Math.max(-1, Math.min(1, ny)))) * deg,
      aboutY: Math.abs(Math.asin(Math.max(-1, Math.min(1, nx)))) * deg,
    };
  });
}

/** Why the calibration must not be saved (empty when it may be). */
export function refusals(
  solution: IntrinsicsSolution,
  limits: QualityLimits,
): string[] {
  const reasons: string[] = [];
  const views = solution.poses.length;
  if (views < limits.minViews) {
    reasons.push(
      `only ${views} views of the board (at least ${limits.minViews} needed): show it from more poses`,
    );
  }
  if (!(solution.rmsPx <= limits.maxRmsPx)) {
    reasons.push(
      `RMS reprojection error ${
        solution.rmsPx.toFixed(3)
      } px is above ${limits.maxRmsPx} px: blurred or misdetected views`,
    );
  }
  const tilts = viewTilts(solution);
  const tilted = tilts.filter((t) => t.tilt >= MIN_TILT_DEG).length;
  const aboutX = Math.max(0, ...tilts.map((t) => t.aboutX));
  const aboutY = Math.max(0, ...tilts.map((t) => t.aboutY));
  if (
    tilted < MIN_TILTED_VIEWS || aboutX < MIN_TILT_DEG ||
    aboutY < MIN_TILT_DEG
  ) {
    reasons.push(
      `degenerate views: ${tilted} of ${views} tilted by ${MIN_TILT_DEG}° or more (${MIN_TILTED_VIEWS} needed), largest tilt ${
        aboutX.toFixed(0)
      }° about the image x axis and ${
        aboutY.toFixed(0)
      }° about y (${MIN_TILT_DEG}° each needed): tilt the board towards each side`,
    );
  }
  const { fx, fy } = solution.calibration;
  const spread = Math.max(
    solution.stdDevPx.fx / fx,
    solution.stdDevPx.fy / fy,
  );
  if (!(spread <= MAX_FOCAL_STD)) {
    reasons.push(
      `the focal length is poorly constrained (±${
        (spread * 100).toFixed(1)
      }%): add tilted views`,
    );
  }
  return reasons;
}

/**
 * Why the standard deviations cannot be trusted (the covariance assumes
 * views that determine every parameter), or `undefined` when they can.
 */
export function uncertaintyUnreliable(
  solution: IntrinsicsSolution,
): string | undefined {
  const std = Object.values(solution.stdDevPx);
  if (!std.every(Number.isFinite)) {
    return "the solver's covariance is singular: the views do not determine every parameter";
  }
  const tilts = viewTilts(solution);
  const tilted = tilts.filter((t) => t.tilt >= MIN_TILT_DEG).length;
  if (tilted < MIN_TILTED_VIEWS) {
    return `only ${tilted} views tilted by ${MIN_TILT_DEG}° or more: the focal length and the board distance trade off`;
  }
  return undefined;
}
