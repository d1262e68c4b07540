import assert from "node:assert/strict";
import { DEFAULT_BOARD } from "../../calibration/board.ts";
import {
  CALIB_FIX_ASPECT_RATIO,
  CALIB_FIX_K3,
  CALIB_FIX_PRINCIPAL_POINT,
  CALIB_RATIONAL_MODEL,
} from "../../calibration/calib_flags.ts";
import {
  type BoardView,
  boardView,
  detectMarkers,
} from "../../calibration/detect.ts";
import {
  type LensModel,
  solveIntrinsics,
} from "../../calibration/solve_intrinsics.ts";
import {
  BoardRenderer,
  calibrationPoses,
  FISHEYE_LENS,
  imageGrid,
  modelError,
  ORDINARY_LENS,
  type TrueLens,
  WIDE_LENS,
} from "../../scripts/harness/board_render.ts";

const [WIDTH, HEIGHT, VIEWS] = [1280, 720, 16];

const rendered = new Map<string, BoardView[]>();

/** Views of the default board rendered through `lens` (gamma 2.2, blur, noise, uneven light), detected. */
function viewsThrough(lens: TrueLens): BoardView[] {
  const cached = rendered.get(lens.name);
  if (cached !== undefined) return cached;
  const renderer = new BoardRenderer(DEFAULT_BOARD, lens, {
    width: WIDTH,
    height: HEIGHT,
  });
  const views = calibrationPoses(DEFAULT_BOARD, lens, WIDTH, HEIGHT, VIEWS)
    .map((pose, i) =>
      boardView(
        DEFAULT_BOARD,
        detectMarkers(renderer.render(pose, i), DEFAULT_BOARD.dictionary)
          .markers,
      )
    ).filter((view) => view.ids.length >= 4);
  rendered.set(lens.name, views);
  return views;
}

/** Asserts the accuracy goals for `lens` solved with `model`. */
async function assertGoals(lens: TrueLens, model: LensModel) {
  const views = viewsThrough(lens);
  const solution = await solveIntrinsics(views, WIDTH, HEIGHT, { model });
  const c = solution.calibration;
  for (const key of ["fx", "fy", "cx", "cy"] as const) {
    const error = Math.abs(c[key] - lens[key]) / lens[key];
    assert.ok(error < 0.005, `${key} ${c[key]} vs ${lens[key]}`);
  }
  assert.ok(solution.rmsPx < 0.5, `RMS ${solution.rmsPx} px`);
  const seen = modelError(
    lens,
    c,
    solution.distortionModel,
    views.flatMap((v) => v.imagePoints),
  );
  assert.ok(seen.rmsPx < 0.5, `model ${seen.rmsPx} px RMS off where seen`);
  return solution;
}

Deno.test("an ordinary lens is recovered within 0.5% and 0.5 px from gamma-encoded, blurred, noisy renders", async () => {
  const solution = await assertGoals(ORDINARY_LENS, "plumb_bob");
  assert.equal(solution.distortionModel, "plumb_bob");
  assert.equal(solution.calibration.distortion_coefficients.length, 5);
});

Deno.test("a wide-angle lens (k1 -0.3) is recovered within 0.5% and 0.5 px, over the whole image too", async () => {
  const solution = await assertGoals(WIDE_LENS, "plumb_bob");
  const whole = modelError(
    WIDE_LENS,
    solution.calibration,
    "plumb_bob",
    imageGrid(WIDTH, HEIGHT, 40),
  );
  assert.ok(whole.rmsPx < 1, `whole image ${whole.rmsPx} px RMS`);
});

Deno.test("the rational model solves 8 coefficients and meets the goals on the ordinary lens", async () => {
  const solution = await assertGoals(ORDINARY_LENS, "rational");
  assert.equal(solution.distortionModel, "rational_polynomial");
  assert.equal(solution.calibration.distortion_coefficients.length, 8);
});

Deno.test("the fisheye (equidistant) model meets the goals on a fisheye lens, where plumb_bob cannot", async () => {
  const solution = await assertGoals(FISHEYE_LENS, "fisheye");
  assert.equal(solution.distortionModel, "equidistant");
  assert.equal(solution.calibration.distortion_coefficients.length, 4);
  assert.ok(Number.isFinite(solution.stdDevPx.fx) && solution.stdDevPx.fx > 0);
  const views = viewsThrough(FISHEYE_LENS);
  const pinhole = await solveIntrinsics(views, WIDTH, HEIGHT);
  const seen = modelError(
    FISHEYE_LENS,
    pinhole.calibration,
    "plumb_bob",
    views.flatMap((v) => v.imagePoints),
  );
  assert.ok(seen.rmsPx > 0.5, `plumb_bob ${seen.rmsPx} px off a fisheye`);
});

Deno.test("misdetected corners and a wrong view are rejected, counted, and do not spoil the result", async () => {
  const views = viewsThrough(ORDINARY_LENS).map((v) => ({
    ...v,
    imagePoints: v.imagePoints.map((p) => [...p] as [number, number]),
  }));
  // Six corners 4 px off in three views, and one view whose corners are
  // all shifted by growing amounts (a wrong board definition, say).
  for (const v of [0, 3, 6]) {
    views[v].imagePoints[1][0] += 4;
    views[v].imagePoints[9][1] -= 4;
  }
  const bad = views.length - 1;
  views[bad].imagePoints = views[bad].imagePoints.map(([u, w], i) =>
    [u + (i % 7) * 1.5, w - (i % 5) * 1.5] as [number, number]
  );
  const solution = await solveIntrinsics(views, WIDTH, HEIGHT);
  assert.deepEqual(solution.rejectedViews, [bad]);
  assert.ok(solution.rejectedCorners >= 6, `${solution.rejectedCorners}`);
  assert.ok(solution.rmsPx < 0.5, `RMS ${solution.rmsPx}`);
  const c = solution.calibration;
  assert.ok(Math.abs(c.fx - ORDINARY_LENS.fx) / ORDINARY_LENS.fx < 0.005);
  assert.ok(!solution.viewIndices.includes(bad));
});

Deno.test("--fix-k3, --fix-aspect and --fix-principal-point hold those parameters (OpenCV calib3d.hpp flag values)", async () => {
  // calib3d.hpp: CALIB_FIX_ASPECT_RATIO 0x2, CALIB_FIX_PRINCIPAL_POINT 0x4,
  // CALIB_FIX_K3 0x80, CALIB_RATIONAL_MODEL 0x4000 (opencv-js 4.5.2
  // exports fisheye values for some of these names).
  assert.deepEqual(
    [
      CALIB_FIX_ASPECT_RATIO,
      CALIB_FIX_PRINCIPAL_POINT,
      CALIB_FIX_K3,
      CALIB_RATIONAL_MODEL,
    ],
    [2, 4, 128, 16384],
  );
  const views = viewsThrough(ORDINARY_LENS);
  const solution = await solveIntrinsics(views, WIDTH, HEIGHT, {
    fixK3: true,
    fixAspect: true,
    fixPrincipalPoint: true,
  });
  const c = solution.calibration;
  assert.equal(c.distortion_coefficients[4], 0);
  assert.notEqual(c.distortion_coefficients[1], 0);
  assert.equal(c.fx, c.fy);
  assert.deepEqual([c.cx, c.cy], [(WIDTH - 1) / 2, (HEIGHT - 1) / 2]);
});
