import assert from "node:assert/strict";
import { quatFromRpy } from "../../calibration/geometry.ts";
import { refusals } from "../../calibration/quality.ts";
import type { IntrinsicsSolution } from "../../calibration/solve_intrinsics.ts";

const DEG = Math.PI / 180;
const LIMITS = { minViews: 8, maxRmsPx: 1 };

/** A solution whose views are the board tilted by `[roll, pitch]` degrees each. */
function solution(
  tilts: [number, number][],
  change: Partial<IntrinsicsSolution> = {},
): IntrinsicsSolution {
  return {
    distortionModel: "plumb_bob",
    viewIndices: tilts.map((_, i) => i),
    rejectedCorners: 0,
    rejectedViews: [],
    calibration: {
      fx: 700,
      fy: 705,
      cx: 640,
      cy: 360,
      distortion_coefficients: [0, 0, 0, 0, 0],
    },
    rmsPx: 0.2,
    perViewRmsPx: tilts.map(() => 0.2),
    stdDevPx: { fx: 0.7, fy: 0.7, cx: 0.5, cy: 0.5 },
    poses: tilts.map(([roll, pitch]) => ({
      translation: [0, 0, 0.5],
      rotation: quatFromRpy(roll * DEG, pitch * DEG, 0),
    })),
    ...change,
  };
}

const VARIED: [number, number][] = [
  [0, 0],
  [25, 0],
  [-25, 0],
  [0, 25],
  [0, -25],
  [20, 20],
  [-20, 20],
  [20, -20],
];

Deno.test("camera calibration is accepted with enough varied views and a small error", () => {
  assert.deepEqual(refusals(solution(VARIED), LIMITS), []);
});

Deno.test("camera calibration is refused, saying why, for too few views, a poor error, face-on views and a loose focal length", () => {
  assert.deepEqual(refusals(solution(VARIED.slice(0, 7)), LIMITS), [
    "only 7 views of the board (at least 8 needed): show it from more poses",
  ]);
  assert.deepEqual(refusals(solution(VARIED, { rmsPx: 1.7 }), LIMITS), [
    "RMS reprojection error 1.700 px is above 1 px: blurred or misdetected views",
  ]);
  assert.deepEqual(refusals(solution(VARIED, { rmsPx: NaN }), LIMITS), [
    "RMS reprojection error NaN px is above 1 px: blurred or misdetected views",
  ]);
  const [frontal] = refusals(
    solution(VARIED.map(([r, p]) => [r / 10, p / 10])),
    LIMITS,
  );
  assert.match(frontal, /^degenerate views: 0 of 8 tilted by 10° or more/);
  const [oneAxis] = refusals(
    solution(VARIED.map(([r]) => [r, 0])),
    LIMITS,
  );
  assert.match(
    oneAxis,
    /largest tilt 25° about the image x axis and 0° about y/,
  );
  assert.deepEqual(
    refusals(
      solution(VARIED, { stdDevPx: { fx: 14, fy: 0.7, cx: 1, cy: 1 } }),
      LIMITS,
    ),
    ["the focal length is poorly constrained (±2.0%): add tilted views"],
  );
});
