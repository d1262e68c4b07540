/**
 * `deno task bench:calibration`: camera calibration of the simulated camera
 * at 1280x720 from 20 views, timed per stage (render, detect, solve), with
 * the recovered intrinsics and distortion against the ground truth.
 *
 * @module
 */
import { DEFAULT_BOARD } from "../calibration/board.ts";
import { boardView, detectMarkers } from "../calibration/detect.ts";
import { solveIntrinsics } from "../calibration/solve_intrinsics.ts";
import {
  boardToCamera,
  defaultPoses,
  TargetScene,
} from "../drivers/camera/sim_target.ts";

const [WIDTH, HEIGHT, VIEWS] = [1280, 720, 20];
const TRUTH = {
  fx: 700,
  fy: 705,
  cx: 652.5,
  cy: 355.25,
  distortion_coefficients: [-0.12, 0.04, 0.001, -0.0007, 0],
};

/** 20 poses: the default cycle, then the same tilts nearer and farther. */
function poses() {
  const base = defaultPoses(DEFAULT_BOARD, TRUTH, WIDTH, HEIGHT);
  const more = base.map((p, i) => ({
    translation: [
      p.translation[0] * 0.8,
      p.translation[1] * 0.8,
      p.translation[2] * (i % 2 === 0 ? 0.9 : 1.1),
    ] as [number, number, number],
    rpy_deg: [p.rpy_deg[0] * 0.8, p.rpy_deg[1] * 0.8, -p.rpy_deg[2]] as [
      number,
      number,
      number,
    ],
  }));
  return [...base, ...more].slice(0, VIEWS);
}

if (import.meta.main) {
  const list = poses();
  let started = performance.now();
  const scene = new TargetScene(WIDTH, HEIGHT, TRUTH, DEFAULT_BOARD, list);
  const setupMs = performance.now() - started;
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3);
  const grey = {
    width: WIDTH,
    height: HEIGHT,
    data: new Uint8Array(WIDTH * HEIGHT),
  };
  let renderMs = 0;
  let detectMs = 0;
  const views = [];
  const wall = performance.now();
  for (let p = 0; p < list.length; p++) {
    started = performance.now();
    scene.renderInto(rgb, p);
    renderMs += performance.now() - started;
    started = performance.now();
    for (let i = 0; i < grey.data.length; i++) grey.data[i] = rgb[3 * i];
    views.push(
      boardView(DEFAULT_BOARD, detectMarkers(grey, DEFAULT_BOARD.dictionary)),
    );
    detectMs += performance.now() - started;
  }
  started = performance.now();
  const solution = await solveIntrinsics(views, WIDTH, HEIGHT);
  const solveMs = performance.now() - started;
  const calibrationMs = detectMs + solveMs;
  console.log(
    `camera calibration, ${VIEWS} views at ${WIDTH}x${HEIGHT} (simulated, default board)`,
  );
  console.log(
    `  scene setup (distortion map, texture): ${setupMs.toFixed(0)} ms once`,
  );
  console.log(`  render: ${(renderMs / VIEWS).toFixed(1)} ms a frame`);
  console.log(
    `  detect + refine: ${(detectMs / VIEWS).toFixed(1)} ms a view, ${
      detectMs.toFixed(0)
    } ms in all`,
  );
  console.log(`  solve (calibrateCameraExtended): ${solveMs.toFixed(0)} ms`);
  console.log(
    `  calibration wall time (detect + solve): ${
      calibrationMs.toFixed(0)
    } ms; with rendering ${(performance.now() - wall).toFixed(0)} ms`,
  );
  console.log(
    `  RMS reprojection error: ${solution.rmsPx.toFixed(4)} px (views ${
      Math.min(...solution.perViewRmsPx).toFixed(3)
    } to ${Math.max(...solution.perViewRmsPx).toFixed(3)} px)`,
  );
  for (const key of ["fx", "fy", "cx", "cy"] as const) {
    const got = solution.calibration[key];
    console.log(
      `  ${key}: ${got.toFixed(3)} (truth ${TRUTH[key]}, ${
        (100 * (got - TRUTH[key]) / TRUTH[key]).toFixed(4)
      }%, σ ${solution.stdDevPx[key].toFixed(3)} px)`,
    );
  }
  const d = solution.calibration.distortion_coefficients;
  console.log(
    `  distortion: [${d.map((v) => v.toFixed(5)).join(", ")}] (truth [${
      TRUTH.distortion_coefficients.join(", ")
    }])`,
  );
  const truthPose = boardToCamera(DEFAULT_BOARD, list[0]).translation;
  const got = solution.poses[0].translation;
  console.log(
    `  view 1 board position error: ${
      (Math.hypot(...got.map((v, i) => v - truthPose[i])) * 1000).toFixed(2)
    } mm`,
  );
}
