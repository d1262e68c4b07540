/**
 * OpenCV's `calibrateCamera` flag values, from `opencv2/calib3d.hpp`
 * (4.5.2). They are written out here because the opencv-js 4.5.2 build
 * exports wrong values for several of them: its `CALIB_FIX_K1`..`K4` and
 * `CALIB_FIX_PRINCIPAL_POINT` carry the `cv::fisheye` enum's values (e.g.
 * `cv.CALIB_FIX_K3` is 64, `fisheye::CALIB_FIX_K3`, where `calibrateCamera`
 * reads 64 as `CALIB_FIX_K2`).
 *
 * @module
 */

/** `cv::CALIB_USE_INTRINSIC_GUESS`: start from the given camera matrix and distortion. */
export const CALIB_USE_INTRINSIC_GUESS = 0x00001;
/** `cv::CALIB_FIX_ASPECT_RATIO`: fx / fy stays as in the initial matrix. */
export const CALIB_FIX_ASPECT_RATIO = 0x00002;
/** `cv::CALIB_FIX_PRINCIPAL_POINT`: cx, cy stay at the image centre. */
export const CALIB_FIX_PRINCIPAL_POINT = 0x00004;
/** `cv::CALIB_FIX_K3`: k3 stays zero. */
export const CALIB_FIX_K3 = 0x00080;
/** `cv::CALIB_RATIONAL_MODEL`: solve k4, k5, k6 too (8 coefficients). */
export const CALIB_RATIONAL_MODEL = 0x04000;

/** The constraints a calibration may fix. */
export interface FixedParameters {
  /** Keep k3 at zero. */
  fixK3?: boolean;
  /** Keep fx / fy at 1. */
  fixAspect?: boolean;
  /** Keep the principal point at the image centre. */
  fixPrincipalPoint?: boolean;
}

/** The `calibrateCamera` flags of a polynomial model with `fixed` parameters. */
export function calibrateFlags(
  rational: boolean,
  fixed: FixedParameters,
): number {
  return (rational ? CALIB_RATIONAL_MODEL : 0) |
    (fixed.fixK3 ? CALIB_FIX_K3 : 0) |
    (fixed.fixAspect ? CALIB_FIX_ASPECT_RATIO : 0) |
    (fixed.fixPrincipalPoint ? CALIB_FIX_PRINCIPAL_POINT : 0);
}
