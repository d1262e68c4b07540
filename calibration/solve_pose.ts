/**
 * The board's pose in a calibrated camera, with OpenCV's iterative
 * `solvePnP` on the camera's registry calibration: the image points are
 * undistorted with the camera's own model first (so every model of
 * `pinhole.ts` works), and several views of a still board are averaged
 * with the spread of their poses as the uncertainty.
 *
 * @module
 */
import type { CameraCalibration } from "../core/registries/entries.ts";
import type { BoardView } from "./detect.ts";
import {
  matFromQuat,
  matFromRodrigues,
  normalizeQuat,
  type Quat,
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
import { reprojectionRms, undistort } from "./pinhole.ts";

/** The board → camera transform seen in `view`, and its RMS reprojection error (pixels). */
export async function solveBoardPose(
  view: BoardView,
  k: CameraCalibration,
  model = "plumb_bob",
): Promise<{ pose: Rigid; rmsPx: number }> {
  const { cv } = await openCv();
  const d = k.distortion_coefficients ?? [];
  const undistorted = view.imagePoints.map(([u, v]) => {
    const [x, y] = undistort(
      (u - k.cx) / k.fx,
      (v - k.cy) / k.fy,
      d,
      20,
      model,
    );
    return [k.fx * x + k.cx, k.fy * y + k.cy] as [number, number];
  });
  const pose = withMats((keep) => {
    const rvec = keep(new cv.Mat());
    const tvec = keep(new cv.Mat());
    const solved = cv.solvePnP(
      keep(objectPointsMat(cv, view.objectPoints)),
      keep(imagePointsMat(cv, undistorted)),
      keep(cameraMatrix(cv, k)),
      keep(cv.Mat.zeros(5, 1, cv.CV_64F)),
      rvec,
      tvec,
      false,
      cv.SOLVEPNP_ITERATIVE,
    );
    if (!solved) throw new Error("solvePnP found no pose for the board");
    return {
      translation: values(tvec) as Vec3,
      rotation: quatFromMat(matFromRodrigues(values(rvec) as Vec3)),
    };
  });
  return {
    pose,
    rmsPx: reprojectionRms(
      k,
      pose,
      view.objectPoints,
      view.imagePoints,
      model,
    ),
  };
}

/** The mean of several poses of a still board, with their spread. */
export interface AveragedPose {
  /** The mean pose (quaternions averaged after aligning their signs). */
  pose: Rigid;
  /** Standard deviation of the translation (RMS over the axes' deviations), meters. */
  translationStdM: number;
  /** Standard deviation of the rotation angle from the mean, degrees. */
  rotationStdDeg: number;
}

/** Averages `poses` (at least one); the spread is zero for one pose. */
export function averagePoses(poses: readonly Rigid[]): AveragedPose {
  const n = poses.length;
  const t = [0, 1, 2].map((i) =>
    poses.reduce((s, p) => s + p.translation[i], 0) / n
  ) as Vec3;
  const first = poses[0].rotation;
  const sum = [0, 0, 0, 0];
  for (const p of poses) {
    const sign = p.rotation.reduce((s, v, i) => s + v * first[i], 0) < 0
      ? -1
      : 1;
    p.rotation.forEach((v, i) => (sum[i] += sign * v));
  }
  const rotation = normalizeQuat(sum as Quat);
  const spread = (values: number[]) =>
    n < 2 ? 0 : Math.sqrt(values.reduce((s, v) => s + v * v, 0) / (n - 1));
  const translationStdM = spread(
    poses.map((p) => Math.hypot(...p.translation.map((v, i) => v - t[i]))),
  );
  const mean = matFromQuat(rotation);
  const rotationStdDeg = spread(poses.map((p) => {
    const m = matFromQuat(p.rotation);
    // The angle of mean^T m from its trace.
    let trace = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) trace += mean[3 * j + i] * m[3 * j + i];
    }
    return Math.acos(Math.max(-1, Math.min(1, (trace - 1) / 2))) * 180 /
      Math.PI;
  }));
  return {
    pose: { translation: t, rotation },
    translationStdM,
    rotationStdDeg,
  };
}
