/**
 * `auki-edge calibrate extrinsics --from A --to B ...`: a static transform
 * `p_B = R * p_A + t` between two frames, entered (translation plus
 * roll/pitch/yaw or a quaternion) or estimated by PnP from the board seen by
 * a calibrated camera, saved to the store; the agent publishes it live as a
 * sealed rigid `pose_log` `A->B`.
 *
 * @module
 */
import { join } from "node:path";
import {
  CalibrationStore,
  type TransformRecord,
} from "../../../agent/calibration/store.ts";
import {
  FRAME_PRESETS,
  FrameEntry,
  validateRegistryId,
} from "../../../core/registries/entries.ts";
import { requestRegistryEntry } from "../../../agent/protocols/registries.ts";
import { parseJson } from "../../../core/codec/json.ts";
import { flagValue, parseCommand, UsageError } from "../../args.ts";
import { parseTarget, withDevice } from "../../client.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../../cluster_flags.ts";
import { readBoard } from "../../../calibration/board.ts";
import { captureViews } from "./capture_views.ts";
import {
  normalizeQuat,
  type Quat,
  quatFromRpy,
  type Rigid,
  rpyFromQuat,
  type Vec3,
} from "../../../calibration/geometry.ts";
import {
  averagePoses,
  solveBoardPose,
} from "../../../calibration/solve_pose.ts";
import {
  parseNumbers,
  TASK_FLAGS,
  TASK_FLAGS_HELP,
  taskStorage,
} from "./task_flags.ts";
import { type Output, STDIO } from "../../output.ts";

type FrameBody = TransformRecord["from_frame"];

const PRESETS = Object.keys(FRAME_PRESETS) as (keyof typeof FRAME_PRESETS)[];

/** The board frame's convention: x right, y down, z into the board. */
const BOARD_PRESET = "ros_optical";

const HELP =
  `Usage: auki-edge calibrate extrinsics --from FRAME --to FRAME [options]

Saves a static transform between two frames to <storage>/calibration/; a
running agent publishes it within a second as a sealed, rigid pose_log
"FROM->TO" holding one auki.pose.SpatialTransform (source "manual"). The
transform maps points of FROM into TO: p_to = R * p_from + t (so it is also
FROM's pose in TO). Lengths are in the frames' units (meters).

Entered:
  --translation X,Y,Z    t (default 0,0,0)
  --rpy R,P,Y            R = Rz(Y) Ry(P) Rx(R): intrinsic Z-Y-X roll, pitch,
                         yaw (ROS / URDF), in radians, or degrees with --degrees
  --quat X,Y,Z,W         R as a Hamilton quaternion (normalized here)
  --degrees              --rpy is in degrees
Estimated:
  --pnp MULTIADDR RESOURCE_ID
                         solvePnP of the board seen by that calibrated camera:
                         FROM is the board (default id calibration_board,
                         axes x right, y down, z into the board) and TO the
                         camera's frame (--to may be left out)
  --board FILE           board definition JSON (default: the default board)
Frames: a frame the agent already registered (a sensor's frame) or one of a
stored transform keeps its convention; a new frame needs its axes:
  --from-preset P, --to-preset P   ${PRESETS.join(", ")}
${TASK_FLAGS_HELP}
${CLUSTER_FLAGS_HELP}
  -h, --help             show this help
`;

/** Runs `calibrate extrinsics`; returns the exit code. */
export async function calibrateExtrinsicsCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const name = "calibrate extrinsics";
  const { values, positionals } = parseCommand({
    name,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      translation: { type: "string" },
      rpy: { type: "string" },
      quat: { type: "string" },
      degrees: { type: "boolean" },
      pnp: { type: "string" },
      board: { type: "string" },
      "from-preset": { type: "string" },
      "to-preset": { type: "string" },
      ...TASK_FLAGS,
      ...CLUSTER_FLAGS,
    },
    positionals: pnpPositionals(argv),
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const store = new CalibrationStore(await taskStorage(values));
  const id = (flag: string, raw: string | undefined) => {
    if (raw === undefined) {
      throw new UsageError(`${name}: --${flag} FRAME is needed`);
    }
    return flagValue(name, flag, raw, (r) => {
      const problem = validateRegistryId(r);
      if (problem !== undefined) throw new Error(problem);
      return r;
    });
  };
  const preset = (flag: string, raw: string | undefined) =>
    raw === undefined ? undefined : flagValue(name, flag, raw, (r) => {
      if (!(PRESETS as string[]).includes(r)) {
        throw new Error(
          `unknown preset "${r}" (expected ${PRESETS.join(", ")})`,
        );
      }
      return r as keyof typeof FRAME_PRESETS;
    });

  let transform: Rigid;
  let fromFrame: FrameBody;
  let toFrame: FrameBody;
  let method: TransformRecord["method"];
  if (values.pnp !== undefined) {
    if (values.translation ?? values.rpy ?? values.quat) {
      throw new UsageError(
        `${name}: --pnp estimates the transform: drop --translation, --rpy and --quat`,
      );
    }
    const target = parseTarget(name, values.pnp);
    const estimate = await estimateByPnp(
      target,
      positionals[0],
      values,
      name,
      output,
    );
    transform = estimate.transform;
    fromFrame = await resolveFrame(
      store,
      id("from", values.from ?? "calibration_board"),
      preset("from-preset", values["from-preset"]) ?? BOARD_PRESET,
      name,
    );
    if (
      values.to !== undefined && values.to !== estimate.cameraFrame.frame_id
    ) {
      throw new UsageError(
        `${name}: --to: the camera's frame is "${estimate.cameraFrame.frame_id}", not "${values.to}"`,
      );
    }
    toFrame = estimate.cameraFrame;
    method = "pnp";
  } else {
    try {
      transform = enteredTransform(values);
    } catch (error) {
      throw new UsageError(
        `${name}: malformed transform: ${(error as Error).message}`,
      );
    }
    fromFrame = await resolveFrame(
      store,
      id("from", values.from),
      preset("from-preset", values["from-preset"]),
      name,
    );
    toFrame = await resolveFrame(
      store,
      id("to", values.to),
      preset("to-preset", values["to-preset"]),
      name,
    );
    method = "manual";
  }
  if (fromFrame.frame_id === toFrame.frame_id) {
    throw new UsageError(`${name}: --from and --to name the same frame`);
  }
  const resourceId = `${fromFrame.frame_id}->${toFrame.frame_id}`;
  const record: TransformRecord = {
    from_frame: fromFrame,
    to_frame: toFrame,
    translation: transform.translation,
    rotation: transform.rotation,
    method,
    saved_at: new Date().toISOString(),
  };
  const [roll, pitch, yaw] = rpyFromQuat(transform.rotation).map((r) =>
    r * 180 / Math.PI
  );
  const previous = await store.get("transforms", resourceId).catch(() =>
    undefined
  );
  output.out(
    `${resourceId}: p_${toFrame.frame_id} = R * p_${fromFrame.frame_id} + t (${method})`,
  );
  output.out(
    `  t = [${transform.translation.map((v) => v.toFixed(6)).join(", ")}]`,
  );
  output.out(
    `  q (x, y, z, w) = [${
      transform.rotation.map((v) => v.toFixed(6)).join(", ")
    }]`,
  );
  output.out(
    `  roll ${roll.toFixed(3)}°, pitch ${pitch.toFixed(3)}°, yaw ${
      yaw.toFixed(3)
    }° (intrinsic Z-Y-X)`,
  );
  output.out(
    `will save to ${store.path("transforms", resourceId)}${
      previous
        ? ` (replacing t = [${previous.translation.join(", ")}], q = [${
          previous.rotation.join(", ")
        }])`
        : ""
    }`,
  );
  if (values["dry-run"]) {
    output.out("dry run: nothing saved");
    return 0;
  }
  await store.save("transforms", resourceId, record);
  output.out(
    `saved; a running agent publishes pose_log "${resourceId}" within a second`,
  );
  return 0;
}

/** `--pnp` takes the camera's resource id as the one positional argument. */
function pnpPositionals(argv: string[]): string[] {
  return argv.includes("--pnp") ? ["RESOURCE_ID"] : [];
}

/** The transform of `--translation` with `--rpy` or `--quat`. */
function enteredTransform(values: {
  translation?: string;
  rpy?: string;
  quat?: string;
  degrees?: boolean;
}): Rigid {
  if (values.rpy !== undefined && values.quat !== undefined) {
    throw new Error("give --rpy or --quat, not both");
  }
  const translation = parseNumbers(values.translation ?? "0,0,0", 3) as Vec3;
  let rotation: Quat = [0, 0, 0, 1];
  if (values.rpy !== undefined) {
    const scale = values.degrees ? Math.PI / 180 : 1;
    const [r, p, y] = parseNumbers(values.rpy, 3).map((v) => v * scale);
    rotation = quatFromRpy(r, p, y);
  } else if (values.quat !== undefined) {
    rotation = normalizeQuat(parseNumbers(values.quat, 4) as Quat);
  }
  return { translation, rotation };
}

/**
 * The convention of frame `id`: the one stored transforms or the agent's
 * registry already give it, else `preset`; an unknown frame without a
 * preset, or a preset contradicting the known convention, is refused.
 */
async function resolveFrame(
  store: CalibrationStore,
  id: string,
  preset: keyof typeof FRAME_PRESETS | undefined,
  name: string,
): Promise<FrameBody> {
  const known = await knownFrames(store);
  const found = known.get(id);
  const wanted = preset &&
    { frame_id: id, ...FRAME_PRESETS[preset], units: "meters" as const };
  if (found !== undefined) {
    if (
      wanted !== undefined &&
      JSON.stringify(sortAxes(wanted)) !== JSON.stringify(sortAxes(found))
    ) {
      throw new UsageError(
        `${name}: frame "${id}" is already declared as ${found.handedness}-handed x ${found.axes.x}, y ${found.axes.y}, z ${found.axes.z}: drop its preset`,
      );
    }
    return found;
  }
  if (wanted === undefined) {
    throw new UsageError(
      `${name}: unknown frame id "${id}" (known: ${
        [...known.keys()].sort().join(", ") || "none"
      }); give its preset to declare it`,
    );
  }
  return wanted;
}

function sortAxes(frame: FrameBody) {
  return [
    frame.frame_id,
    frame.handedness,
    frame.axes.x,
    frame.axes.y,
    frame.axes.z,
    frame.units,
  ];
}

/** Frames by id: those of stored transforms, then those in the agent's registry (newest entry). */
async function knownFrames(
  store: CalibrationStore,
): Promise<Map<string, FrameBody>> {
  const frames = new Map<string, { frame: FrameBody; mtime: number }>();
  const registry = join(store.dir, "..", "registries", "frame");
  for (const peer of await entries(registry)) {
    for (const file of await walkJson(join(registry, peer))) {
      const parsed = FrameEntry.safeParse(
        parseJson(await Deno.readTextFile(file.path)),
      );
      if (!parsed.success) continue;
      const { peer_id: _, ...frame } = parsed.data;
      const seen = frames.get(frame.frame_id);
      if (seen === undefined || seen.mtime < file.mtime) {
        frames.set(frame.frame_id, { frame, mtime: file.mtime });
      }
    }
  }
  for (const { record } of await store.list("transforms", () => {})) {
    for (const frame of [record.from_frame, record.to_frame]) {
      frames.set(frame.frame_id, { frame, mtime: Infinity });
    }
  }
  return new Map([...frames].map(([id, { frame }]) => [id, frame]));
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** The `.json` files under `dir` (frame ids may hold `/`), with their modification times. */
async function walkJson(
  dir: string,
): Promise<{ path: string; mtime: number }[]> {
  const found: { path: string; mtime: number }[] = [];
  for (const item of await Array.fromAsync(Deno.readDir(dir))) {
    const path = join(dir, item.name);
    if (item.isDirectory) found.push(...await walkJson(path));
    else if (item.name.endsWith(".json")) {
      found.push({
        path,
        mtime: (await Deno.stat(path)).mtime?.getTime() ?? 0,
      });
    }
  }
  return found;
}

/** Frames of the still board a PnP estimate averages. */
const PNP_FRAMES = 5;

/** The board's pose in a calibrated camera (averaged over {@link PNP_FRAMES} frames), and the camera's frame. */
async function estimateByPnp(
  target: ReturnType<typeof parseTarget>,
  resourceId: string,
  values: {
    board?: string;
    discovery?: string;
    cluster?: string;
    "discovery-token"?: string;
  },
  name: string,
  output: Output,
): Promise<{ transform: Rigid; cameraFrame: FrameBody }> {
  const board = await readBoard(values.board);
  return await withDevice(target, clusterOf(name, values), async (device) => {
    const capture = await captureViews(device, resourceId, board, {
      views: PNP_FRAMES,
      minViews: PNP_FRAMES,
      // Every frame of the still board is a view.
      minMovePx: -1,
      timeoutMs: 10_000,
      idleMs: 10_000,
    });
    const { camera } = capture;
    if (camera.calibration === undefined) {
      throw new Error(
        `camera "${camera.sensor_id}" is not calibrated: run "auki-edge calibrate camera" first`,
      );
    }
    if (capture.views.length === 0) {
      throw new Error(
        `no calibration board visible in ${capture.frames} frames of "${camera.sensor_id}"`,
      );
    }
    const solved = [];
    for (const view of capture.views) {
      solved.push(
        await solveBoardPose(view, camera.calibration, camera.distortion_model),
      );
    }
    const { pose, translationStdM, rotationStdDeg } = averagePoses(
      solved.map((s) => s.pose),
    );
    const rms = Math.max(...solved.map((s) => s.rmsPx));
    output.out(
      `PnP on ${
        capture.views[0].ids.length
      } markers, averaged over ${solved.length} frames: at most ${
        rms.toFixed(3)
      } px RMS reprojection error; pose spread ±${
        (translationStdM * 1000).toFixed(2)
      } mm, ±${rotationStdDeg.toFixed(3)}°`,
    );
    const fetched = await requestRegistryEntry(
      device.node,
      device.target,
      "frame",
      camera.frame.id,
      camera.frame.hash,
    );
    if (fetched === null) {
      throw new Error(`the device does not serve frame "${camera.frame.id}"`);
    }
    const { peer_id: _, ...cameraFrame } = FrameEntry.parse(fetched.entry);
    return { transform: pose, cameraFrame };
  });
}
