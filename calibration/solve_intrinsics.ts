/**
 * Pinhole intrinsics and distortion from board views, with robust outlier
 * rejection. `plumb_bob` `[k1, k2, p1, p2, k3]` and `rational`
 * (`rational_polynomial`, 8 coefficients) are solved by OpenCV's
 * `calibrateCameraExtended` (Zhang's method and Levenberg-Marquardt over
 * every view); `fisheye` (`equidistant`, Kannala-Brandt `[k1..k4]`) starts
 * from that pinhole solution and is refined by {@link bundleAdjust}.
 * After each solve, corners whose reprojection error is far beyond the
 * robust spread of all errors (median-based) are dropped, then views whose
 * RMS is far above the median view's, and the solve is repeated until
 * nothing more is dropped.
 *
 * @module
 */
import type { CameraCalibration } from "../core/registries/entries.ts";
import {
  bundleAdjust,
  type CameraParameters,
  type PointSet,
  projectSet,
} from "./bundle_adjust.ts";
import {
  CALIB_USE_INTRINSIC_GUESS,
  calibrateFlags,
  type FixedParameters,
} from "./calib_flags.ts";
import type { BoardView } from "./detect.ts";
import {
  matFromRodrigues,
  quatFromMat,
  type Rigid,
  type Vec3,
} from "./geometry.ts";
import {
  cameraMatrix,
  imagePointsMat,
  objectPointsMat,
  openCv,
  values,
  withMats,
} from "./opencv.ts";
import type { DistortionModel } from "./pinhole.ts";

/** The lens models `--model` names. */
export const LENS_MODELS = ["plumb_bob", "rational", "fisheye"] as const;
/** A lens model. */
export type LensModel = typeof LENS_MODELS[number];

/** The registry `distortion_model` of each lens model. */
const DISTORTION_MODEL_OF: Record<LensModel, DistortionModel> = {
  plumb_bob: "plumb_bob",
  rational: "rational_polynomial",
  fisheye: "equidistant",
};

/** Options of {@link solveIntrinsics}. */
export interface SolveOptions extends FixedParameters {
  /** The lens model (default plumb_bob). */
  model?: LensModel;
}

/** The result of a camera calibration. */
export interface IntrinsicsSolution {
  /** The registry `distortion_model` of the coefficients. */
  distortionModel: DistortionModel;
  /** Intrinsics and distortion coefficients of the published image. */
  calibration: CameraCalibration & { distortion_coefficients: number[] };
  /** RMS reprojection error over every kept corner, pixels. */
  rmsPx: number;
  /** RMS reprojection error of each kept view, pixels. */
  perViewRmsPx: number[];
  /** Standard deviations of fx, fy, cx, cy from the solver's covariance, pixels (NaN when singular). */
  stdDevPx: { fx: number; fy: number; cx: number; cy: number };
  /** Board → camera transform of each kept view. */
  poses: Rigid[];
  /** Index in the input of each kept view. */
  viewIndices: number[];
  /** Corners rejected as outliers (in kept views). */
  rejectedCorners: number;
  /** Input indices of the views rejected as outliers. */
  rejectedViews: number[];
}

/** A corner is an outlier beyond this many robust standard deviations. */
const OUTLIER_SIGMAS = 4.5;
/** ...and never below this error, pixels. */
const MIN_OUTLIER_PX = 0.5;
/** A view is an outlier when its RMS exceeds this many times the median view's (and {@link MIN_OUTLIER_PX}). */
const VIEW_OUTLIER_FACTOR = 3;
/** Fewest corners a view keeps. */
const MIN_VIEW_CORNERS = 8;
/** Most solves of the rejection loop. */
const MAX_ROUNDS = 4;
/** The rejection has settled when fewer than this fraction of the corners changed sides. */
const SETTLED_FRACTION = 0.005;

/** Calibrates a `width` x `height` camera from `views` (each with at least 4 corners). */
export async function solveIntrinsics(
  views: BoardView[],
  width: number,
  height: number,
  options: SolveOptions = {},
): Promise<IntrinsicsSolution> {
  const model = options.model ?? "plumb_bob";
  let active = views.map((view, index) => ({
    index,
    view,
    keep: view.objectPoints.map(() => true),
  }));
  const rejectedViews: number[] = [];
  let guess: PinholeGuess | undefined;
  for (let round = 1;; round++) {
    const sets = active.map(({ view, keep }) => ({
      objectPoints: view.objectPoints.filter((_, i) => keep[i]),
      imagePoints: view.imagePoints.filter((_, i) => keep[i]),
    }));
    const solved = await solveOnce(
      model,
      sets,
      width,
      height,
      options,
      guess,
    );
    guess = solved.pinhole;
    // Every corner is judged anew against each solve, so a corner dropped
    // while an early solve was still off comes back.
    const errors = active.map(({ view }, v) =>
      projectSet(
        model === "fisheye" ? "equidistant" : "rational_polynomial",
        solved,
        solved.poses[v],
        view.objectPoints,
      ).map(([u, w], i) =>
        Math.hypot(u - view.imagePoints[i][0], w - view.imagePoints[i][1])
      )
    );
    const used = errors.map((e, v) => e.filter((_, i) => active[v].keep[i]));
    // The median of 2-D Gaussian error lengths is 1.1774 σ.
    const sigma = median(used.flat()) / 1.1774;
    const cut = Math.max(MIN_OUTLIER_PX, OUTLIER_SIGMAS * sigma);
    const keep = errors.map((e) => e.map((x) => x <= cut));
    const viewRms = errors.map((e, v) => rms(e.filter((_, i) => keep[v][i])));
    const viewCut = Math.max(
      MIN_OUTLIER_PX,
      VIEW_OUTLIER_FACTOR * median(viewRms),
    );
    const drop = keep.map((k, v) =>
      k.filter(Boolean).length < MIN_VIEW_CORNERS || viewRms[v] > viewCut
    );
    // Corners near the cut may flip between solves: a handful of them
    // changing no longer counts as a change.
    const flipped = keep.reduce(
      (n, k, v) => n + k.filter((x, i) => x !== active[v].keep[i]).length,
      0,
    );
    const changed = drop.some(Boolean) ||
      flipped > SETTLED_FRACTION * used.flat().length;
    if (
      !changed || drop.filter((d) => !d).length < 3 || round === MAX_ROUNDS
    ) {
      return {
        distortionModel: DISTORTION_MODEL_OF[model],
        calibration: {
          fx: solved.fx,
          fy: solved.fy,
          cx: solved.cx,
          cy: solved.cy,
          distortion_coefficients: solved.distortion,
        },
        rmsPx: rms(used.flat()),
        perViewRmsPx: used.map(rms),
        stdDevPx: solved.stdDevPx,
        poses: solved.poses.map((p) => ({
          translation: p.tvec,
          rotation: quatFromMat(matFromRodrigues(p.rvec)),
        })),
        viewIndices: active.map((a) => a.index),
        rejectedCorners: active.reduce(
          (n, a) => n + a.keep.filter((k) => !k).length,
          0,
        ),
        rejectedViews,
      };
    }
    rejectedViews.push(...active.filter((_, v) => drop[v]).map((a) => a.index));
    active = active.flatMap((a, v) => drop[v] ? [] : [{ ...a, keep: keep[v] }]);
  }
}

/** One solve of `model` over `sets`. */
async function solveOnce(
  model: LensModel,
  sets: PointSet[],
  width: number,
  height: number,
  fixed: FixedParameters,
  guess: PinholeGuess | undefined,
): Promise<
  CameraParameters & {
    stdDevPx: { fx: number; fy: number; cx: number; cy: number };
    pinhole: PinholeGuess;
  }
> {
  const pinhole = await openCvCalibrate(
    sets,
    width,
    height,
    model === "rational",
    // The fisheye solve starts from a pinhole one with free coefficients.
    model === "fisheye" ? { ...fixed, fixK3: false } : fixed,
    guess,
  );
  if (model !== "fisheye") return { ...pinhole, pinhole };
  const refined = bundleAdjust("equidistant", sets, {
    ...pinhole,
    distortion: equidistantFit(pinhole.distortion, sets, pinhole),
  }, {
    aspect: fixed.fixAspect,
    principalPoint: fixed.fixPrincipalPoint,
    distortion: fixed.fixK3 ? [2] : [],
  });
  return { ...refined, pinhole };
}

/**
 * Equidistant coefficients `[k1..k4]` matching the radial part of
 * polynomial coefficients `d` over the radii the views cover (linear least
 * squares on `θd - θ = k1 θ³ + k2 θ⁵ + k3 θ⁷ + k4 θ⁹`), the starting point
 * of the fisheye refinement.
 */
function equidistantFit(
  d: number[],
  sets: PointSet[],
  k: { fx: number; fy: number; cx: number; cy: number },
): number[] {
  const largest = Math.max(
    ...sets.flatMap((s) =>
      s.imagePoints.map(([u, v]) =>
        Math.hypot((u - k.cx) / k.fx, (v - k.cy) / k.fy)
      )
    ),
  );
  const [k1, k2, , , k3] = d;
  const rows: number[][] = [];
  const targets: number[] = [];
  for (let i = 1; i <= 50; i++) {
    // Undistorted radius r, distorted radius rd on the polynomial model.
    const r = Math.tan(Math.atan(largest * 1.5) * i / 50);
    const r2 = r * r;
    const rd = r * (1 + r2 * (k1 + r2 * (k2 + r2 * k3)));
    const theta = Math.atan(r);
    rows.push([3, 5, 7, 9].map((p) => theta ** p));
    targets.push(rd - theta);
  }
  return leastSquares(rows, targets);
}

/** The least-squares solution of `rows x = targets` (normal equations, Gaussian elimination). */
function leastSquares(rows: number[][], targets: number[]): number[] {
  const n = rows[0].length;
  const a = Array.from({ length: n }, (_, i) => [
    ...Array.from(
      { length: n },
      (_, j) => rows.reduce((s, row) => s + row[i] * row[j], 0),
    ),
    rows.reduce((s, row, r) => s + row[i] * targets[r], 0),
  ]);
  for (let c = 0; c < n; c++) {
    const pivot = a.slice(c).reduce(
      (best, row, i) => Math.abs(row[c]) > Math.abs(a[best][c]) ? c + i : best,
      c,
    );
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let j = c; j <= n; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}

/** A pinhole solution a later solve starts from. */
interface PinholeGuess {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  distortion: number[];
}

/** OpenCV's `calibrateCameraExtended` over `sets`, from `guess` when given (`CALIB_USE_INTRINSIC_GUESS`). */
async function openCvCalibrate(
  sets: PointSet[],
  width: number,
  height: number,
  rational: boolean,
  fixed: FixedParameters,
  guess: PinholeGuess | undefined,
): Promise<
  CameraParameters & {
    stdDevPx: { fx: number; fy: number; cx: number; cy: number };
  }
> {
  const { cv } = await openCv();
  return withMats((keep) => {
    const objectPoints = keep(new cv.MatVector());
    const imagePoints = keep(new cv.MatVector());
    for (const set of sets) {
      objectPoints.push_back(keep(objectPointsMat(cv, set.objectPoints)));
      imagePoints.push_back(keep(imagePointsMat(cv, set.imagePoints)));
    }
    const camera = keep(
      guess === undefined
        ? cv.Mat.eye(3, 3, cv.CV_64F)
        : cameraMatrix(cv, guess),
    );
    const distortion = keep(
      guess === undefined
        ? cv.Mat.zeros(rational ? 8 : 5, 1, cv.CV_64F)
        : cv.matFromArray(rational ? 8 : 5, 1, cv.CV_64F, guess.distortion),
    );
    const rvecs = keep(new cv.MatVector());
    const tvecs = keep(new cv.MatVector());
    const stdIntrinsics = keep(new cv.Mat());
    const stdExtrinsics = keep(new cv.Mat());
    const perView = keep(new cv.Mat());
    const criteria = new cv.TermCriteria(
      cv.TermCriteria_COUNT + cv.TermCriteria_EPS,
      50,
      1e-10,
    );
    cv.calibrateCameraExtended(
      objectPoints,
      imagePoints,
      new cv.Size(width, height),
      camera,
      distortion,
      rvecs,
      tvecs,
      stdIntrinsics,
      stdExtrinsics,
      perView,
      calibrateFlags(rational, fixed) |
        (guess === undefined ? 0 : CALIB_USE_INTRINSIC_GUESS),
      criteria,
    );
    const k = values(camera);
    const std = values(stdIntrinsics);
    return {
      fx: k[0],
      fy: k[4],
      cx: k[2],
      cy: k[5],
      distortion: values(distortion).slice(0, rational ? 8 : 5),
      poses: sets.map((_, i) => ({
        rvec: values(keep(rvecs.get(i))) as Vec3,
        tvec: values(keep(tvecs.get(i))) as Vec3,
      })),
      stdDevPx: { fx: std[0], fy: std[1], cx: std[2], cy: std[3] },
    };
  });
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function rms(xs: number[]): number {
  return Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / Math.max(1, xs.length));
}
