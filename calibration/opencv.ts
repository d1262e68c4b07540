/**
 * OpenCV (the `@techstark/opencv-js` WebAssembly build), loaded once on
 * first use, and conversions between its matrices and plain arrays.
 *
 * @module
 */
import cvModule from "@techstark/opencv-js";
import type { Vec3 } from "./geometry.ts";

// deno-lint-ignore no-explicit-any
type Cv = any;
// deno-lint-ignore no-explicit-any
type Mat = any;

let ready: Promise<{ cv: Cv }> | undefined;

/**
 * The OpenCV module, once its runtime is initialized, wrapped: the module is
 * a thenable resolving to itself, so no promise may resolve to it directly.
 */
export function openCv(): Promise<{ cv: Cv }> {
  const cv = cvModule as Cv;
  ready ??= cv.Mat !== undefined
    ? Promise.resolve({ cv })
    : new Promise((resolve) => {
      cv.onRuntimeInitialized = () => resolve({ cv });
    });
  return ready;
}

/** A CV_32FC3 column of object points. */
export function objectPointsMat(cv: Cv, points: readonly Vec3[]): Mat {
  return cv.matFromArray(points.length, 1, cv.CV_32FC3, points.flat());
}

/** A CV_32FC2 column of image points. */
export function imagePointsMat(
  cv: Cv,
  points: readonly [number, number][],
): Mat {
  return cv.matFromArray(points.length, 1, cv.CV_32FC2, points.flat());
}

/** A 3x3 CV_64F camera matrix. */
export function cameraMatrix(
  cv: Cv,
  k: { fx: number; fy: number; cx: number; cy: number },
): Mat {
  return cv.matFromArray(3, 3, cv.CV_64F, [
    k.fx,
    0,
    k.cx,
    0,
    k.fy,
    k.cy,
    0,
    0,
    1,
  ]);
}

/** The values of a CV_64F matrix, row-major. */
export function values(mat: Mat): number[] {
  return Array.from(mat.data64F as Float64Array);
}

/** Runs `work`, deleting every matrix it registers afterwards (WebAssembly memory is not collected). */
export function withMats<T>(work: (keep: (m: Mat) => Mat) => T): T {
  const mats: Mat[] = [];
  try {
    return work((m) => {
      mats.push(m);
      return m;
    });
  } finally {
    for (const m of mats) m.delete();
  }
}
