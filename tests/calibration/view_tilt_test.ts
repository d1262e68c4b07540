import assert from "node:assert/strict";
import { DEFAULT_BOARD } from "../../calibration/board.ts";
import {
  matFromQuat,
  mulMatVec,
  type Rigid,
  type Vec3,
} from "../../calibration/geometry.ts";
import { viewNormals } from "../../calibration/view_tilt.ts";
import { coveredTilts } from "../../calibration/coverage.ts";
import {
  calibrationPoses,
  ORDINARY_LENS,
  trueView,
  WIDE_LENS,
} from "../../scripts/harness/board_render.ts";

const [WIDTH, HEIGHT] = [1280, 720];

/** The true board normal, camera frame, `z > 0`. */
function trueNormal(pose: Rigid): Vec3 {
  const n = mulMatVec(matFromQuat(pose.rotation), [0, 0, 1]);
  return n[2] < 0 ? [-n[0], -n[1], -n[2]] : n;
}

function angleDeg(a: Vec3, b: Vec3): number {
  const dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  return Math.acos(Math.min(1, dot)) * 180 / Math.PI;
}

for (const [lens, bound] of [[ORDINARY_LENS, 1], [WIDE_LENS, 7]] as const) {
  Deno.test(`the board's tilt is read from the views before any solve, within ${bound}° (${lens.name} lens)`, () => {
    const poses = calibrationPoses(DEFAULT_BOARD, lens, WIDTH, HEIGHT, 20);
    // Corners up to 0.3 px off, as detected.
    const views = poses.map((pose) =>
      trueView(DEFAULT_BOARD, lens, pose, WIDTH, HEIGHT, 0.3)
    );
    const estimated = viewNormals(views, WIDTH, HEIGHT);
    const published = viewNormals(views, WIDTH, HEIGHT, {
      ...lens,
      distortion_coefficients: lens.distortion,
    });
    const face = 20 * Math.PI / 180;
    poses.forEach((pose, i) => {
      assert.ok(views[i].ids.length >= 4);
      const truth = trueNormal(pose);
      const error = angleDeg(estimated[i]!, truth);
      assert.ok(error < bound, `view ${i}: ${error}° off`);
      const calibrated = angleDeg(published[i]!, truth);
      assert.ok(calibrated < 0.5, `view ${i}: ${calibrated}° off calibrated`);
      // The directions taken, where the truth is clear of the 10° threshold.
      const [tx, ty] = truth.map((c) => Math.asin(c) * 180 / Math.PI);
      if (Math.abs(Math.abs(tx) - 10) > 5 && Math.abs(Math.abs(ty) - 10) > 5) {
        assert.deepEqual(coveredTilts([estimated[i]!]), coveredTilts([truth]));
      }
      // "left side away": the ray left of the centre meets the board farther.
      const depth = (x: number) => {
        const t = pose.translation;
        const nt = truth[0] * t[0] + truth[1] * t[1] + truth[2] * t[2];
        return nt / (truth[0] * x + truth[2]);
      };
      if (Math.abs(truth[0]) > Math.sin(face)) {
        assert.equal(
          coveredTilts([truth])[0],
          depth(-0.2) > depth(0.2),
          `view ${i}`,
        );
      }
    });
  });
}
