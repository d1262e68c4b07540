/**
 * The board's pose in a calibrated camera from one view, with OpenCV's
 * iterative `solvePnP` on the camera's registry calibration.
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
  cameraMatrix,
  imagePointsMat,
  objectPointsMat,
  openCv,
  values,
  withMats,
} from "./opencv.ts";
import { reprojectionRms } from "./pinhole.ts";

/** The board → camera transform seen in `view`, and its RMS reprojection error (pixels). */
export async function solveBoardPose(
  view: BoardView,
  k: CameraCalibration,
): Promise<{ pose: Rigid; rmsPx: number }> {
  const { cv } = await openCv();
  const pose = withMats((keep) => {
    const rvec = keep(new cv.Mat());
    const tvec = keep(new cv.Mat());
    const distortion = keep(
      cv.matFromArray(
        5,
        1,
        cv.CV_64F,
        [
          ...(k.distortion_coefficients ?? []),
          0,
          0,
          0,
          0,
          0,
        ].slice(0, 5),
      ),
    );
    const solved = cv.solvePnP(
      keep(objectPointsMat(cv, view.objectPoints)),
      keep(imagePointsMat(cv, view.imagePoints)),
      keep(cameraMatrix(cv, k)),
      distortion,
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
    rmsPx: reprojectionRms(k, pose, view.objectPoints, view.imagePoints),
  };
}
