/**
 * `auki-edge calibrate camera MULTIADDR RESOURCE_ID`: capture views of the
 * board from a running camera over the stream protocol, solve intrinsics and
 * distortion, report the errors and, when they pass, save the calibration in
 * the store; the agent puts it into the camera's sensor registry entry when
 * it next starts.
 *
 * @module
 */
import { CalibrationStore } from "../../../agent/calibration/store.ts";
import { flagValue, parseCommand, parseCount } from "../../args.ts";
import { parseTarget, withDevice } from "../../client.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../../cluster_flags.ts";
import { readBoard } from "../../../calibration/board.ts";
import { captureViews } from "./capture_views.ts";
import { ProgressBar } from "./progress.ts";
import { refusals, viewTilts } from "../../../calibration/quality.ts";
import { solveIntrinsics } from "../../../calibration/solve_intrinsics.ts";
import {
  parseNumbers,
  TASK_FLAGS,
  TASK_FLAGS_HELP,
  taskStorage,
} from "./task_flags.ts";
import { type Output, STDIO } from "../../output.ts";

const HELP = `Usage: auki-edge calibrate camera MULTIADDR RESOURCE_ID [options]

Captures views of the calibration board (see "auki-edge calibrate board")
from a running camera, solves pinhole intrinsics and plumb_bob distortion
[k1, k2, p1, p2, k3] and reports the RMS and per-view reprojection errors.
When they pass, saves the calibration to <storage>/calibration/camera/; the
agent publishes it in the camera's registry entry once restarted. Move the
board through the whole image and tilt it towards every side.

Options:
  --board FILE       board definition JSON (default: the default board)
  --views N          views to capture (default 15)
  --min-views N      fewest views to accept (default 8)
  --max-rms PX       largest RMS reprojection error to accept (default 1)
  --min-move PX      corner movement that makes a new view (default 30)
  --timeout S        stop capturing after S seconds (default 120)
${TASK_FLAGS_HELP}
${CLUSTER_FLAGS_HELP}
  -h, --help         show this help
`;

/** Runs `calibrate camera`; returns the exit code. */
export async function calibrateCameraCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const name = "calibrate camera";
  const { values, positionals } = parseCommand({
    name,
    options: {
      board: { type: "string" },
      views: { type: "string" },
      "min-views": { type: "string" },
      "max-rms": { type: "string" },
      "min-move": { type: "string" },
      timeout: { type: "string" },
      ...TASK_FLAGS,
      ...CLUSTER_FLAGS,
    },
    positionals: ["MULTIADDR", "RESOURCE_ID"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const target = parseTarget(name, positionals[0]);
  const count = (flag: string, raw: string | undefined, fallback: number) =>
    raw === undefined ? fallback : flagValue(name, flag, raw, parseCount);
  const number = (flag: string, raw: string | undefined, fallback: number) =>
    raw === undefined
      ? fallback
      : flagValue(name, flag, raw, (r) => parseNumbers(r, 1)[0]);
  const views = count("views", values.views, 15);
  const minViews = count("min-views", values["min-views"], 8);
  const maxRmsPx = number("max-rms", values["max-rms"], 1);
  const minMovePx = number("min-move", values["min-move"], 30);
  const timeoutS = number("timeout", values.timeout, 120);
  const board = await readBoard(values.board);
  const cluster = clusterOf(name, values);
  const store = new CalibrationStore(await taskStorage(values));

  const progress = new ProgressBar("capturing", views);
  const capture = await withDevice(
    target,
    cluster,
    (device) =>
      captureViews(device, positionals[1], board, {
        views,
        minMovePx,
        timeoutMs: timeoutS * 1000,
        progress,
      }),
  ).finally(() => progress.done());
  const { camera } = capture;
  if (capture.framesWithBoard === 0) {
    output.err(
      `${name}: no calibration board visible in ${capture.frames} frames of "${camera.sensor_id}" (dictionary ${board.dictionary}, ids ${board.first_id}-${
        board.first_id + board.markers_x * board.markers_y - 1
      }); nothing saved`,
    );
    return 1;
  }
  if (capture.views.length < 3) {
    output.err(
      `${name}: only ${capture.views.length} distinct views of the board in ${capture.frames} frames (at least ${minViews} needed); nothing saved`,
    );
    return 1;
  }
  const solving = new ProgressBar("solving", 1);
  solving.update(0);
  const solution = await solveIntrinsics(
    capture.views,
    camera.width,
    camera.height,
  );
  solving.update(1);
  solving.done();

  const { fx, fy, cx, cy, distortion_coefficients: d } = solution.calibration;
  const tilts = viewTilts(solution);
  output.out(
    `camera "${camera.sensor_id}" ${camera.width}x${camera.height}, ${capture.views.length} views from ${capture.frames} frames`,
  );
  output.out(`  fx ${fx.toFixed(3)} ± ${solution.stdDevPx.fx.toFixed(3)} px`);
  output.out(`  fy ${fy.toFixed(3)} ± ${solution.stdDevPx.fy.toFixed(3)} px`);
  output.out(`  cx ${cx.toFixed(3)} ± ${solution.stdDevPx.cx.toFixed(3)} px`);
  output.out(`  cy ${cy.toFixed(3)} ± ${solution.stdDevPx.cy.toFixed(3)} px`);
  output.out(
    `  plumb_bob [k1, k2, p1, p2, k3] = [${
      d.map((v) => v.toPrecision(6)).join(", ")
    }]`,
  );
  output.out(`  RMS reprojection error ${solution.rmsPx.toFixed(4)} px`);
  solution.perViewRmsPx.forEach((rms, i) =>
    output.out(
      `  view ${String(i + 1).padStart(2)}: ${rms.toFixed(4)} px, ${
        capture.views[i].ids.length
      } markers, tilt ${tilts[i].tilt.toFixed(1)}°`,
    )
  );
  const reasons = refusals(solution, { minViews, maxRmsPx });
  if (reasons.length > 0) {
    for (const reason of reasons) output.err(`${name}: refused: ${reason}`);
    output.err(`${name}: nothing saved`);
    return 1;
  }
  const path = store.path("camera", camera.sensor_id);
  const previous = camera.calibration;
  output.out(
    `will save to ${path}: calibration of "${camera.sensor_id}" (published now: ${
      previous
        ? `fx ${previous.fx} fy ${previous.fy} cx ${previous.cx} cy ${previous.cy}`
        : "none"
    })`,
  );
  if (values["dry-run"]) {
    output.out("dry run: nothing saved");
    return 0;
  }
  await store.save("camera", camera.sensor_id, {
    sensor_id: camera.sensor_id,
    width: camera.width,
    height: camera.height,
    distortion_model: "plumb_bob",
    calibration: solution.calibration,
    rms_px: solution.rmsPx,
    views: capture.views.length,
    saved_at: new Date().toISOString(),
  });
  output.out(`saved; restart the agent to publish it`);
  return 0;
}
