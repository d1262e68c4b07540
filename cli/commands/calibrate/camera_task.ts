/**
 * `auki-edge calibrate camera`: calibrate a camera's intrinsics and
 * distortion from views of the board, captured from a running camera over
 * the stream protocol (`MULTIADDR RESOURCE_ID`) or read from an image
 * folder (`--images DIR`), or take a ROS camera_info YAML (`--import`);
 * report the errors and, when they pass, save the calibration in the store
 * (the agent publishes it in the camera's sensor registry entry) and/or
 * export it as camera_info YAML.
 *
 * @module
 */
import { join } from "node:path";
import { CalibrationStore } from "../../../agent/calibration/store.ts";
import { flagValue, parseCommand, parseCount, UsageError } from "../../args.ts";
import { parseTarget, withDevice } from "../../client.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../../cluster_flags.ts";
import { boardIds, readBoard } from "../../../calibration/board.ts";
import {
  cameraInfoYaml,
  parseCameraInfoYaml,
} from "../../../calibration/camera_info_yaml.ts";
import {
  coveredCells,
  coveredTilts,
  missingRegions,
  missingTilts,
} from "../../../calibration/coverage.ts";
import { matFromQuat, mulMatVec } from "../../../calibration/geometry.ts";
import {
  type BoardView,
  boardView,
  detectMarkers,
} from "../../../calibration/detect.ts";
import {
  frameImageFile,
  readImageFolder,
} from "../../../calibration/image_files.ts";
import { checkColorSpace } from "../../../calibration/linear_light.ts";
import {
  MIN_TILT_DEG,
  refusals,
  uncertaintyUnreliable,
  viewTilts,
} from "../../../calibration/quality.ts";
import {
  type IntrinsicsSolution,
  LENS_MODELS,
  type LensModel,
  solveIntrinsics,
} from "../../../calibration/solve_intrinsics.ts";
import {
  type Capture,
  captureViews,
  type Dropped,
  MIN_MARKERS,
} from "./capture_views.ts";
import { ProgressBar } from "./progress.ts";
import { type Output, STDIO } from "../../output.ts";
import {
  parseNumbers,
  TASK_FLAGS,
  TASK_FLAGS_HELP,
  taskStorage,
} from "./task_flags.ts";

const HELP = `Usage: auki-edge calibrate camera MULTIADDR RESOURCE_ID [options]
       auki-edge calibrate camera --images DIR [--sensor-id ID] [options]
       auki-edge calibrate camera --import FILE.yaml --sensor-id ID [options]

Captures views of the calibration board (see "auki-edge calibrate board")
from a running camera, or reads them from an image folder, solves pinhole
intrinsics and distortion with outlier rejection and reports the RMS and
per-view reprojection errors, the parameters' standard deviations and the
image regions no view covered. When they pass, saves the calibration to
<storage>/calibration/camera/; a running agent publishes it within a second
(the camera restarts with a new sensor_hash and archives its log).
Move the board through the whole image and tilt it towards every side.

Options:
  --board FILE          board definition JSON (default: the default board)
  --model M             lens model: plumb_bob [k1, k2, p1, p2, k3] (default),
                        rational (8 coefficients) or fisheye (equidistant
                        Kannala-Brandt [k1, k2, k3, k4])
  --fix-k3              keep k3 at zero (plumb_bob, fisheye)
  --fix-aspect          keep fx = fy
  --fix-principal-point keep cx, cy at the image centre
  --views N             views to capture (default 12)
  --min-views N         fewest views to accept (default 8)
  --max-rms PX          largest RMS reprojection error to accept (default 1)
  --min-move PX         corner movement that makes a new view (default 30)
  --timeout S           stop capturing after S seconds (default 60)
  --idle S              stop after S seconds without the board, or without a
                        new view once --min-views are in (default 15)
  --save-views DIR      keep the frames of the views in DIR in their own
                        encoding (JPEG as .jpg, raw colour as .ppm, grey as
                        .pgm), for --images to re-solve
  --images DIR          calibrate from the PNG, JPEG, PGM and PPM files of DIR
  --color-space C       transfer curve of --images files: srgb (default),
                        bt.709, bt.601 or linear
  --sensor-id ID        the camera to save for (--images, --import)
  --export FILE.yaml    also write the result as ROS camera_info YAML
  --import FILE.yaml    save the calibration of a camera_info YAML
${TASK_FLAGS_HELP}
${CLUSTER_FLAGS_HELP}
  -h, --help            show this help
`;

const OPTIONS = {
  board: { type: "string" },
  model: { type: "string" },
  "fix-k3": { type: "boolean" },
  "fix-aspect": { type: "boolean" },
  "fix-principal-point": { type: "boolean" },
  views: { type: "string" },
  "min-views": { type: "string" },
  "max-rms": { type: "string" },
  "min-move": { type: "string" },
  timeout: { type: "string" },
  idle: { type: "string" },
  "save-views": { type: "string" },
  images: { type: "string" },
  "color-space": { type: "string" },
  "sensor-id": { type: "string" },
  export: { type: "string" },
  import: { type: "string" },
  ...TASK_FLAGS,
  ...CLUSTER_FLAGS,
} as const;

/** The camera a calibration is for. */
interface Subject {
  sensorId: string | undefined;
  width: number;
  height: number;
  published?: { fx: number; fy: number; cx: number; cy: number };
}

/** Runs `calibrate camera`; returns the exit code. */
export async function calibrateCameraCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const name = "calibrate camera";
  const fromFiles = argv.some((a) => /^--(images|import)(=|$)/.test(a));
  const { values, positionals } = parseCommand({
    name,
    options: OPTIONS,
    positionals: fromFiles ? [] : ["MULTIADDR", "RESOURCE_ID"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  if (values.images !== undefined && values.import !== undefined) {
    throw new UsageError(`${name}: --images and --import exclude each other`);
  }
  const count = (flag: string, raw: string | undefined, fallback: number) =>
    raw === undefined ? fallback : flagValue(name, flag, raw, parseCount);
  const number = (flag: string, raw: string | undefined, fallback: number) =>
    raw === undefined
      ? fallback
      : flagValue(name, flag, raw, (r) => parseNumbers(r, 1)[0]);
  const model = flagValue(name, "model", values.model ?? "plumb_bob", (r) => {
    if (!(LENS_MODELS as readonly string[]).includes(r)) {
      throw new Error(`expects one of ${LENS_MODELS.join(", ")}`);
    }
    return r as LensModel;
  });
  if (values["fix-k3"] && model === "rational") {
    throw new UsageError(`${name}: --fix-k3 applies to plumb_bob and fisheye`);
  }
  const minViews = count("min-views", values["min-views"], 8);
  const maxRmsPx = number("max-rms", values["max-rms"], 1);
  const store = new CalibrationStore(await taskStorage(values));

  if (values.import !== undefined) {
    return await importCameraInfo(output, name, values.import, values, store);
  }

  let views: BoardView[];
  let subject: Subject;
  let frames: number;
  let dropped: Dropped;
  if (values.images !== undefined) {
    const colorSpace = values["color-space"] ?? "srgb";
    flagValue(name, "color-space", colorSpace, checkColorSpace);
    const board = await readBoard(values.board);
    const files = await readImageFolder(values.images).catch((error) => {
      throw new UsageError(`${name}: ${error.message}`);
    });
    const { width, height } = files[0].image;
    subject = { sensorId: values["sensor-id"], width, height };
    views = [];
    dropped = { atBorder: 0, unrefined: 0 };
    const foreign = new Set<number>();
    for (const { path, image } of files) {
      const detection = detectMarkers(image, board.dictionary, colorSpace);
      const view = boardView(board, detection.markers);
      for (const m of detection.markers) {
        if (!view.ids.includes(m.id)) foreign.add(m.id);
      }
      if (view.ids.length >= MIN_MARKERS) {
        views.push(view);
        dropped.atBorder += detection.atBorder;
        dropped.unrefined += detection.unrefined;
      } else {
        output.out(`  ${path}: board not found (${view.ids.length} markers)`);
      }
    }
    frames = files.length;
    const missing = boardMissing(name, board, views.length, frames, foreign);
    if (missing !== undefined) {
      output.err(`${missing} in ${values.images}; nothing saved`);
      return 1;
    }
  } else {
    const target = parseTarget(name, positionals[0]);
    const board = await readBoard(values.board);
    const wanted = count("views", values.views, 12);
    const timeoutS = number("timeout", values.timeout, 60);
    const idleS = number("idle", values.idle, 15);
    const progress = new ProgressBar("capturing", wanted);
    const capture = await withDevice(
      target,
      clusterOf(name, values),
      (device) =>
        captureViews(device, positionals[1], board, {
          views: wanted,
          minViews,
          minMovePx: number("min-move", values["min-move"], 30),
          timeoutMs: timeoutS * 1000,
          idleMs: idleS * 1000,
          keepImages: values["save-views"] !== undefined,
          progress,
        }),
    ).finally(() => progress.done());
    const { camera } = capture;
    subject = {
      sensorId: camera.sensor_id,
      width: camera.width,
      height: camera.height,
      published: camera.calibration,
    };
    views = capture.views;
    frames = capture.frames;
    dropped = capture.dropped;
    const missing = boardMissing(
      name,
      board,
      capture.framesWithBoard,
      capture.frames,
      capture.foreignIds,
    );
    if (missing !== undefined) {
      output.err(
        `${missing} of "${camera.sensor_id}" (stopped after ${
          capture.stopped === "no board"
            ? `${idleS} s without it`
            : "the timeout"
        }); nothing saved`,
      );
      return 1;
    }
    if (capture.stopped === "timeout" || capture.stopped === "idle") {
      const regions = missingRegions(
        coveredCells(views, camera.width, camera.height),
      );
      const tilts = missingTilts(capture.tilts);
      output.out(
        `capture stopped ${
          capture.stopped === "timeout"
            ? `at the ${timeoutS} s timeout`
            : `after ${idleS} s without a new view`
        } with ${views.length} of ${wanted} views (board in ${capture.framesWithBoard} of ${capture.frames} frames)${
          regions.length > 0 ? `; never covered: ${regions.join(", ")}` : ""
        }${tilts.length > 0 ? `; never tilted: ${tilts.join(", ")}` : ""}`,
      );
    }
    if (values["save-views"] !== undefined) {
      await saveViews(values["save-views"], camera, capture.images, output);
    }
  }
  if (views.length < 3) {
    output.err(
      `${name}: only ${views.length} distinct views of the board in ${frames} frames (at least ${minViews} needed); nothing saved`,
    );
    return 1;
  }
  const solving = new ProgressBar("solving", 1);
  solving.update(0);
  const solution = await solveIntrinsics(views, subject.width, subject.height, {
    model,
    fixK3: values["fix-k3"],
    fixAspect: values["fix-aspect"],
    fixPrincipalPoint: values["fix-principal-point"],
  });
  solving.update(1);
  solving.done();
  printSolution(output, subject, views, frames, dropped, solution);
  const reasons = refusals(solution, { minViews, maxRmsPx });
  if (reasons.length > 0) {
    for (const reason of reasons) output.err(`${name}: refused: ${reason}`);
    output.err(`${name}: nothing saved`);
    return 1;
  }
  return await finish(output, name, values, store, subject, {
    distortion_model: solution.distortionModel,
    calibration: solution.calibration,
    rms_px: solution.rmsPx,
    views: solution.poses.length,
  });
}

/** Why the views cannot make a calibration (no board, or another board's markers), or `undefined`. */
function boardMissing(
  name: string,
  board: Awaited<ReturnType<typeof readBoard>>,
  withBoard: number,
  frames: number,
  foreign: Set<number>,
): string | undefined {
  if (withBoard > 0) return undefined;
  const ids = boardIds(board);
  const wrong = foreign.size > 0
    ? `; markers ${
      [...foreign].sort((a, b) => a - b).join(", ")
    } of ${board.dictionary} were seen: is --board the board shown?`
    : "";
  return `${name}: no calibration board (dictionary ${board.dictionary}, ids ${
    ids[0]
  }-${ids[ids.length - 1]}) in ${frames} frames${wrong}`;
}

/** Writes the views' `frames` of `camera` to `dir` as view-NN.jpg, .ppm or .pgm (their own encoding). */
async function saveViews(
  dir: string,
  camera: Capture["camera"],
  frames: Uint8Array[],
  output: Output,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  let extension = "";
  for (const [i, frame] of frames.entries()) {
    const file = frameImageFile(camera, frame);
    extension = file.extension;
    await Deno.writeFile(
      join(dir, `view-${String(i + 1).padStart(2, "0")}.${extension}`),
      file.bytes,
    );
  }
  output.out(
    `${frames.length} views written to ${dir}${
      extension === "" ? "" : ` as .${extension}`
    } (calibrate camera --images ${dir} --color-space ${camera.color_space} re-solves them)`,
  );
}

function printSolution(
  output: Output,
  subject: Subject,
  views: BoardView[],
  frames: number,
  dropped: Dropped,
  solution: IntrinsicsSolution,
): void {
  const { fx, fy, cx, cy, distortion_coefficients: d } = solution.calibration;
  const tilts = viewTilts(solution);
  const unreliable = uncertaintyUnreliable(solution);
  const std = solution.stdDevPx;
  const pm = (v: number) => Number.isFinite(v) ? v.toFixed(3) : "?";
  output.out(
    `camera ${
      subject.sensorId === undefined ? "" : `"${subject.sensorId}" `
    }${subject.width}x${subject.height}, ${views.length} views from ${frames} frames`,
  );
  output.out(`  fx ${fx.toFixed(3)} ± ${pm(std.fx)} px`);
  output.out(`  fy ${fy.toFixed(3)} ± ${pm(std.fy)} px`);
  output.out(`  cx ${cx.toFixed(3)} ± ${pm(std.cx)} px`);
  output.out(`  cy ${cy.toFixed(3)} ± ${pm(std.cy)} px`);
  if (unreliable !== undefined) {
    output.out(`  (± unreliable: ${unreliable})`);
  }
  output.out(
    `  ${solution.distortionModel} [${
      d.map((v) => v.toPrecision(6)).join(", ")
    }]`,
  );
  output.out(
    `  RMS reprojection error ${
      solution.rmsPx.toFixed(4)
    } px; outliers rejected: ${solution.rejectedCorners} corners, ${solution.rejectedViews.length} views${
      solution.rejectedViews.length > 0
        ? ` (${solution.rejectedViews.map((v) => v + 1).join(", ")})`
        : ""
    }`,
  );
  output.out(
    `  markers dropped by detection: ${dropped.atBorder} touching the image border, ${dropped.unrefined} with unrefinable corners`,
  );
  solution.perViewRmsPx.forEach((rms, i) => {
    const v = solution.viewIndices[i];
    output.out(
      `  view ${String(v + 1).padStart(2)}: ${rms.toFixed(4)} px, ${
        views[v].ids.length
      } markers, tilt ${tilts[i].tilt.toFixed(1)}°`,
    );
  });
  const regions = missingRegions(
    coveredCells(views, subject.width, subject.height),
  );
  if (regions.length > 0) {
    output.out(
      `  never covered by the board: ${
        regions.join(", ")
      } (the model is extrapolated there)`,
    );
  }
  const tilted = coveredTilts(
    solution.poses.map((pose) => {
      const n = mulMatVec(matFromQuat(pose.rotation), [0, 0, 1]);
      return n[2] < 0 ? [-n[0], -n[1], -n[2]] : n;
    }),
  );
  const untilted = missingTilts(tilted);
  if (untilted.length > 0) {
    output.out(
      `  never tilted by ${MIN_TILT_DEG}° or more: ${untilted.join(", ")}`,
    );
  }
}

/** Reads a camera_info YAML for `--import`. */
async function importCameraInfo(
  output: Output,
  name: string,
  path: string,
  values: { "sensor-id"?: string; export?: string; "dry-run"?: boolean },
  store: CalibrationStore,
): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(`${name}: --import ${path}: ${error}`);
  }
  let info;
  try {
    info = parseCameraInfoYaml(text);
  } catch (error) {
    throw new UsageError(
      `${name}: ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  const sensorId = values["sensor-id"] ?? (info.name || undefined);
  output.out(
    `${path}: ${info.width}x${info.height} ${info.distortionModel}, fx ${info.calibration.fx} fy ${info.calibration.fy} cx ${info.calibration.cx} cy ${info.calibration.cy}`,
  );
  return await finish(output, name, values, store, {
    sensorId,
    width: info.width,
    height: info.height,
  }, {
    distortion_model: info.distortionModel,
    calibration: info.calibration,
  });
}

/** Exports and saves a calibration as the flags say. */
async function finish(
  output: Output,
  name: string,
  values: { "sensor-id"?: string; export?: string; "dry-run"?: boolean },
  store: CalibrationStore,
  subject: Subject,
  result: {
    distortion_model: IntrinsicsSolution["distortionModel"];
    calibration: IntrinsicsSolution["calibration"];
    rms_px?: number;
    views?: number;
  },
): Promise<number> {
  const sensorId = subject.sensorId;
  if (values.export !== undefined) {
    const yaml = cameraInfoYaml({
      name: sensorId ?? "camera",
      width: subject.width,
      height: subject.height,
      distortionModel: result.distortion_model,
      calibration: result.calibration,
    });
    if (values["dry-run"]) {
      output.out(`would export camera_info YAML to ${values.export}`);
    } else {
      await Deno.writeTextFile(values.export, yaml);
      output.out(`exported camera_info YAML to ${values.export}`);
    }
  }
  if (sensorId === undefined) {
    if (values.export === undefined) {
      output.err(
        `${name}: no --sensor-id to save for and no --export: nothing saved`,
      );
      return 1;
    }
    return 0;
  }
  const path = store.path("camera", sensorId);
  const previous = subject.published;
  output.out(
    `will save to ${path}: calibration of "${sensorId}" (published now: ${
      previous
        ? `fx ${previous.fx} fy ${previous.fy} cx ${previous.cx} cy ${previous.cy}`
        : "none"
    })`,
  );
  if (values["dry-run"]) {
    output.out("dry run: nothing saved");
    return 0;
  }
  await store.save("camera", sensorId, {
    sensor_id: sensorId,
    width: subject.width,
    height: subject.height,
    ...result,
    saved_at: new Date().toISOString(),
  });
  output.out(`saved; a running agent publishes it within a second`);
  return 0;
}
