/**
 * `deno task bench:calibration`: camera calibration accuracy and wall time
 * on independent renders of the default board (scripts/harness/board_render.ts:
 * gamma 2.2, 1 px blur, noise, uneven light, partial views, tilts up to
 * 45°), 20 views at 1280x720 through an ordinary, a wide-angle (k1 -0.3)
 * and a fisheye lens, each solved with every lens model: the intrinsics
 * against the truth, the RMS reprojection error, the recovered model's
 * error against the true lens where the board was seen and over the whole
 * image, and the outliers rejected.
 *
 * @module
 */
import { DEFAULT_BOARD } from "../calibration/board.ts";
import {
  type BoardView,
  boardView,
  detectMarkers,
} from "../calibration/detect.ts";
import {
  type LensModel,
  solveIntrinsics,
} from "../calibration/solve_intrinsics.ts";
import {
  BoardRenderer,
  calibrationPoses,
  FISHEYE_LENS,
  imageGrid,
  modelError,
  ORDINARY_LENS,
  rayOfPixel,
  type TrueLens,
  WIDE_LENS,
} from "./harness/board_render.ts";

const [WIDTH, HEIGHT, VIEWS] = [1280, 720, 20];
const SOLVES: { label: string; model: LensModel; fixK3?: boolean }[] = [
  { label: "plumb_bob", model: "plumb_bob" },
  { label: "plumb_bob --fix-k3", model: "plumb_bob", fixK3: true },
  { label: "rational", model: "rational" },
  { label: "fisheye", model: "fisheye" },
];

/** The whole-image grid pixels the true lens has a ray for (a fisheye's corners may lie beyond 90°). */
function wholeImage(lens: TrueLens): [number, number][] {
  return imageGrid(WIDTH, HEIGHT, 20).filter(([u, v]) => {
    const [x, y] = rayOfPixel(lens, u, v);
    return Number.isFinite(x) && Number.isFinite(y);
  });
}

if (import.meta.main) {
  console.log(
    `camera calibration, ${VIEWS} views at ${WIDTH}x${HEIGHT}, independent renders (gamma 2.2, blur 1 px, noise 1.5, uneven light)`,
  );
  for (const lens of [ORDINARY_LENS, WIDE_LENS, FISHEYE_LENS]) {
    const renderer = new BoardRenderer(DEFAULT_BOARD, lens, {
      width: WIDTH,
      height: HEIGHT,
    });
    const views: BoardView[] = [];
    let detectMs = 0;
    for (
      const [i, pose] of calibrationPoses(
        DEFAULT_BOARD,
        lens,
        WIDTH,
        HEIGHT,
        VIEWS,
      ).entries()
    ) {
      const image = renderer.render(pose, i);
      const started = performance.now();
      const view = boardView(
        DEFAULT_BOARD,
        detectMarkers(image, DEFAULT_BOARD.dictionary).markers,
      );
      detectMs += performance.now() - started;
      if (view.ids.length >= 4) views.push(view);
    }
    const seen = views.flatMap((v) => v.imagePoints);
    let wallMs = 0;
    const grid = wholeImage(lens);
    console.log(
      `\n${lens.name} lens (truth ${lens.model} [${
        lens.distortion.join(", ")
      }]): board in ${views.length} of ${VIEWS} views, detect + refine ${
        (detectMs / VIEWS).toFixed(0)
      } ms a view`,
    );
    console.log(
      "  model               | fx %    | fy %    | cx %    | cy %    | RMS px | seen px (max) | whole px (max) | rejected  | solve",
    );
    for (const solve of SOLVES) {
      const started = performance.now();
      const s = await solveIntrinsics(views, WIDTH, HEIGHT, {
        model: solve.model,
        fixK3: solve.fixK3,
      });
      const solveMs = performance.now() - started;
      const c = s.calibration;
      const pct = (k: "fx" | "fy" | "cx" | "cy") =>
        (100 * (c[k] - lens[k]) / lens[k]).toFixed(3).padStart(7);
      const atSeen = modelError(lens, c, s.distortionModel, seen);
      const whole = modelError(lens, c, s.distortionModel, grid);
      const fmt = (e: { rmsPx: number; maxPx: number }) =>
        `${e.rmsPx.toFixed(2)} (${e.maxPx.toFixed(1)})`;
      console.log(
        `  ${solve.label.padEnd(19)} | ${pct("fx")} | ${pct("fy")} | ${
          pct("cx")
        } | ${pct("cy")} | ${s.rmsPx.toFixed(3).padStart(6)} | ${
          fmt(atSeen).padStart(13)
        } | ${fmt(whole).padStart(14)} | ${
          `${s.rejectedCorners} c, ${s.rejectedViews.length} v`.padEnd(9)
        } | ${(solveMs / 1000).toFixed(1)} s`,
      );
      if (solve.label === "plumb_bob") wallMs = detectMs + solveMs;
    }
    console.log(
      `  wall time for ${VIEWS} views (detect + refine + plumb_bob solve): ${
        (wallMs / 1000).toFixed(1)
      } s`,
    );
  }
}
