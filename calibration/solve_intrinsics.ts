/**
 * Pinhole intrinsics and `plumb_bob` distortion `[k1, k2, p1, p2, k3]` from
 * board views, with OpenCV's `calibrateCameraExtended` (Zhang's method and
 * Levenberg-Marquardt over every view): the calibration, its RMS and
 * per-view reprojection errors, the standard deviations of the intrinsics
 * and each view's board pose.
 *
 * @module
 */
import type { CameraCalibration } from "../core/registries/entries.ts";
import type { BoardView } from "./detect.ts";
import {
  matFromRodrigues,
  quatFromMat,
  type Rigid,
  type Vec3,
} from "./geometry.ts";
import {
  imagePointsMat,
  objectPointsMat,
  openCv,
  values,
  withMats,
} from "./opencv.ts";

/** The result of a camera calibration. */
export interface IntrinsicsSolution {
  /** Intrinsics and five distortion coefficients of the published image. */
  calibration: CameraCalibration & { distortion_coefficients: number[] };
  /** RMS reprojection error over every corner of every view, pixels. */
  rmsPx: number;
  /** RMS reprojection error of each view, pixels. */
  perViewRmsPx: number[];
  /** Standard deviations of fx, fy, cx, cy, pixels. */
  stdDevPx: { fx: number; fy: number; cx: number; cy: number };
  /** Board → camera transform of each view. */
  poses: Rigid[];
}

/** Calibrates a `width` x `height` camera from `views` (each with at least 4 corners). */
export async function solveIntrinsics(
  views: BoardView[],
  width: number,
  height: number,
): Promise<IntrinsicsSolution> {
  const { cv } = await openCv();
  return withMats((keep) => {
    const objectPoints = keep(new cv.MatVector());
    const imagePoints = keep(new cv.MatVector());
    for (const view of views) {
      const o = keep(objectPointsMat(cv, view.objectPoints));
      const i = keep(imagePointsMat(cv, view.imagePoints));
      objectPoints.push_back(o);
      imagePoints.push_back(i);
    }
    const camera = keep(cv.Mat.eye(3, 3, cv.CV_64F));
    const distortion = keep(cv.Mat.zeros(5, 1, cv.CV_64F));
    const rvecs = keep(new cv.MatVector());
    const tvecs = keep(new cv.MatVector());
    const stdIntrinsics = keep(new cv.Mat());
    const stdExtrinsics = keep(new cv.Mat());
    const perView = keep(new cv.Mat());
    const criteria = new cv.TermCriteria(
      cv.TermCriteria_COUNT + cv.TermCriteria_EPS,
      100,
      1e-12,
    );
    const rms: number = cv.calibrateCameraExtended(
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
      0,
      criteria,
    );
    const k = values(camera);
    const std = values(stdIntrinsics);
    const poses: Rigid[] = views.map((_, i) => {
      const r = keep(rvecs.get(i));
      const t = keep(tvecs.get(i));
      return {
        translation: values(t) as Vec3,
        rotation: quatFromMat(matFromRodrigues(values(r) as Vec3)),
      };
    });
    return {
      calibration: {
        fx: k[0],
        fy: k[4],
        cx: k[2],
        cy: k[5],
        distortion_coefficients: values(distortion).slice(0, 5),
      },
      rmsPx: rms,
      perViewRmsPx: values(perView),
      stdDevPx: { fx: std[0], fy: std[1], cx: std[2], cy: std[3] },
      poses,
    };
  });
}
