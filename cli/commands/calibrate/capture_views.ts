/**
 * Capturing distinct views of the board from a camera's stream: each frame
 * is converted to grey and searched for the board's markers; a frame showing
 * at least {@link MIN_MARKERS} of them becomes a view when its corners moved
 * far enough from every view kept so far (a board held still yields one
 * view, not hundreds). Each new view updates the coverage shown: the image
 * regions and the tilt directions still missing (tilts read from the
 * views' homographies, before any solve). Capture stops early when the answer is known: no
 * board (or only markers of another board) for a while, or no new view
 * for a while once enough views are in.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import { CameraFrameSchema } from "../../../core/proto/gen/auki/camera_pb.ts";
import type { CameraSensor } from "../../../core/registries/entries.ts";
import type { z } from "zod";
import type { BoardDefinition } from "../../../calibration/board.ts";
import {
  type BoardView,
  boardView,
  detectMarkers,
} from "../../../calibration/detect.ts";
import { type Device, sensorOf, timedEntries } from "../../client.ts";
import {
  coverageText,
  coveredCells,
  coveredTilts,
} from "../../../calibration/coverage.ts";
import { viewNormals } from "../../../calibration/view_tilt.ts";
import { checkReadable, greyFrame } from "../../../core/image.ts";
import type { ProgressBar } from "./progress.ts";

/** Fewest board markers a view must show. */
export const MIN_MARKERS = 4;
/** How long a frame may take to arrive before the camera counts as not streaming, ms. */
const FRAME_TIMEOUT_MS = 5_000;

/** What {@link captureViews} collects. */
export interface Capture {
  /** The camera's sensor registry entry. */
  camera: z.infer<typeof CameraSensor>;
  /** The distinct views. */
  views: BoardView[];
  /** Frames read. */
  frames: number;
  /** Frames in which the board was seen. */
  framesWithBoard: number;
  /** The frame of each view as it arrived (in the camera's encoding), when kept. */
  images: Uint8Array[];
  /** Markers dropped from the views for touching the image border, and for unrefinable corners. */
  dropped: Dropped;
  /** Which of the tilt directions (`TILT_DIRECTIONS`) the views took. */
  tilts: boolean[];
  /** Ids of markers seen that are not on the board. */
  foreignIds: Set<number>;
  /** Why capture stopped. */
  stopped: "views" | "timeout" | "idle" | "no board";
}

/** Markers dropped by detection, summed over views. */
export interface Dropped {
  /** Touching the image border. */
  atBorder: number;
  /** With a corner that could not be refined. */
  unrefined: number;
}

/** Options of {@link captureViews}. */
export interface CaptureOptions {
  /** Views wanted. */
  views: number;
  /** Mean corner movement that makes a new view, pixels. */
  minMovePx: number;
  /** Give up after this long, ms. */
  timeoutMs: number;
  /** Stop after this long without the board, or without a new view once `minViews` are in, ms. */
  idleMs: number;
  /** Views that are enough to stop when idle. */
  minViews: number;
  /** Keep each view's frame. */
  keepImages?: boolean;
  /** Progress display. */
  progress?: ProgressBar;
}

/** Reads `resourceId`'s frames until `options.views` distinct views of `board` or the timeout. */
export async function captureViews(
  device: Device,
  resourceId: string,
  board: BoardDefinition,
  options: CaptureOptions,
): Promise<Capture> {
  const subscription = await device.subscribe(resourceId);
  if (subscription.manifest.payload !== "camera_frame") {
    subscription.close();
    throw new Error(
      `"${resourceId}" is not a camera (its payload is ${subscription.manifest.payload})`,
    );
  }
  const camera = await sensorOf(device, subscription).catch((error) => {
    subscription.close();
    throw error;
  });
  if (camera.kind !== "camera") {
    subscription.close();
    throw new Error(`"${resourceId}" is a ${camera.kind} sensor, not a camera`);
  }
  checkReadable(camera);
  const capture: Capture = {
    camera,
    views: [],
    frames: 0,
    framesWithBoard: 0,
    images: [],
    dropped: { atBorder: 0, unrefined: 0 },
    tilts: [false, false, false, false],
    foreignIds: new Set(),
    stopped: "timeout",
  };
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let lastNewView = started;
  for await (const entry of timedEntries(subscription, FRAME_TIMEOUT_MS)) {
    capture.frames++;
    const { frame } = fromBinary(CameraFrameSchema, entry.payload);
    const image = greyFrame(camera, frame);
    const detection = detectMarkers(
      image,
      board.dictionary,
      camera.color_space,
    );
    const markers = detection.markers;
    const view = boardView(board, markers);
    for (const marker of markers) {
      if (!view.ids.includes(marker.id)) capture.foreignIds.add(marker.id);
    }
    const now = Date.now();
    if (view.ids.length >= MIN_MARKERS) {
      capture.framesWithBoard++;
      if (
        capture.views.every((kept) => movement(kept, view) >= options.minMovePx)
      ) {
        capture.views.push(view);
        capture.dropped.atBorder += detection.atBorder;
        capture.dropped.unrefined += detection.unrefined;
        if (options.keepImages) capture.images.push(frame);
        capture.tilts = coveredTilts(
          viewNormals(
            capture.views,
            camera.width,
            camera.height,
            camera.calibration,
            camera.distortion_model,
          ).filter((n) => n !== undefined),
        );
        lastNewView = now;
      }
    }
    const cells = coveredCells(capture.views, camera.width, camera.height);
    options.progress?.update(
      capture.views.length,
      `views (${capture.frames} frames, board in ${capture.framesWithBoard}; ${
        coverageText(cells, capture.tilts)
      })`,
    );
    if (capture.views.length >= options.views) {
      capture.stopped = "views";
    } else if (
      capture.framesWithBoard === 0 && now - started > options.idleMs
    ) {
      capture.stopped = "no board";
    } else if (
      capture.views.length >= options.minViews &&
      now - lastNewView > options.idleMs
    ) {
      capture.stopped = "idle";
    } else if (now <= deadline) {
      continue;
    }
    break;
  }
  return capture;
}

/** Mean displacement of the markers two views share, pixels (infinite when they share few). */
export function movement(a: BoardView, b: BoardView): number {
  const corners = new Map<string, [number, number]>();
  a.ids.forEach((id, m) => {
    for (let c = 0; c < 4; c++) {
      corners.set(`${id}:${c}`, a.imagePoints[4 * m + c]);
    }
  });
  let sum = 0;
  let shared = 0;
  b.ids.forEach((id, m) => {
    for (let c = 0; c < 4; c++) {
      const other = corners.get(`${id}:${c}`);
      if (other === undefined) continue;
      const [x, y] = b.imagePoints[4 * m + c];
      sum += Math.hypot(x - other[0], y - other[1]);
      shared++;
    }
  });
  return shared < 4 * MIN_MARKERS ? Infinity : sum / shared;
}
