import assert from "node:assert/strict";
import { boardSize, DEFAULT_BOARD } from "../../calibration/board.ts";
import {
  coverageText,
  coveredCells,
  coveredTilts,
} from "../../calibration/coverage.ts";
import {
  matFromQuat,
  mulMatVec,
  quatFromRpy,
  type Rigid,
  type Vec3,
} from "../../calibration/geometry.ts";
import { viewNormals } from "../../calibration/view_tilt.ts";
import {
  calibrationPoses,
  ORDINARY_LENS,
  trueView,
} from "../../scripts/harness/board_render.ts";

const [WIDTH, HEIGHT] = [1280, 720];

/** The board centred at 0.6 m, rotated by `roll` and `pitch` degrees. */
function centred(roll: number, pitch: number): Rigid {
  const rotation = quatFromRpy(roll * Math.PI / 180, pitch * Math.PI / 180, 0);
  const [w, h] = boardSize(DEFAULT_BOARD);
  const c = mulMatVec(matFromQuat(rotation), [w / 2, h / 2, 0]);
  return { rotation, translation: [-c[0], -c[1], 0.6 - c[2]] };
}

/** The coverage line of `poses` as capture shows it, tilts read before any solve. */
function text(poses: Rigid[]): string {
  const views = poses.map((pose) =>
    trueView(DEFAULT_BOARD, ORDINARY_LENS, pose, WIDTH, HEIGHT, 0.3)
  );
  const normals = viewNormals(views, WIDTH, HEIGHT).filter((n) =>
    n !== undefined
  ) as Vec3[];
  return coverageText(
    coveredCells(views, WIDTH, HEIGHT),
    coveredTilts(normals),
  );
}

Deno.test("the capture coverage names the image regions and the tilts still missing, before any solve", () => {
  assert.equal(
    text([]),
    "coverage .../.../...; regions missing: top left, top centre, top right, middle left, middle centre, middle right, bottom left, bottom centre, bottom right; tilts (10°+) missing: left side away, right side away, top away, bottom away",
  );
  // Face-on in the middle: no tilt yet.
  assert.equal(
    text([centred(0, 0)]),
    "coverage .../.#./...; regions missing: top left, top centre, top right, middle left, middle right, bottom left, bottom centre, bottom right; tilts (10°+) missing: left side away, right side away, top away, bottom away",
  );
  // Turned about the vertical axis one way, then about the horizontal one.
  const turned = text([centred(0, 0), centred(0, 30)]);
  assert.match(
    turned,
    /tilts \(10°\+\) missing: (left|right) side away, top away, bottom away$/,
  );
  const both = text([centred(0, 0), centred(0, 30), centred(0, -30)]);
  assert.match(both, /tilts \(10°\+\) missing: top away, bottom away$/);
  assert.match(
    text([centred(0, 0), centred(0, 30), centred(0, -30), centred(25, 0)]),
    /tilts \(10°\+\) missing: (top|bottom) away$/,
  );
  // A tilt under 10° does not count (the 30° tilts determine the focal length).
  assert.match(
    text([centred(0, 30), centred(0, -30), centred(6, 0), centred(-6, 0)]),
    /missing: top away, bottom away$/,
  );
  // The accuracy tests' 20 poses cover everything.
  assert.equal(
    text(calibrationPoses(DEFAULT_BOARD, ORDINARY_LENS, WIDTH, HEIGHT, 20)),
    "coverage ###/###/###; regions missing: none; tilts (10°+) missing: none",
  );
});
