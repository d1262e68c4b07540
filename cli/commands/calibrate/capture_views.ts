/**
 * Capturing distinct views of the board from a camera's stream: each frame
 * is converted to grey and searched for the board's markers; a frame showing
 * at least {@link MIN_MARKERS} of them becomes a view when its corners moved
 * far enough from every view kept so far (a board held still yields one
 * view, not hundreds).
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
import { checkReadable, greyFrame } from "../../../core/image.ts";
import type { ProgressBar } from "./progress.ts";

/** Fewest board markers a view must show. */
const MIN_MARKERS = 4;
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
}

/** Options of {@link captureViews}. */
export interface CaptureOptions {
  /** Views wanted. */
  views: number;
  /** Mean corner movement that makes a new view, pixels. */
  minMovePx: number;
  /** Give up after this long, ms. */
  timeoutMs: number;
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
  const capture: Capture = { camera, views: [], frames: 0, framesWithBoard: 0 };
  const deadline = Date.now() + options.timeoutMs;
  for await (const entry of timedEntries(subscription, FRAME_TIMEOUT_MS)) {
    capture.frames++;
    const { frame } = fromBinary(CameraFrameSchema, entry.payload);
    const view = boardView(
      board,
      detectMarkers(greyFrame(camera, frame), board.dictionary),
    );
    if (view.ids.length >= MIN_MARKERS) {
      capture.framesWithBoard++;
      if (
        capture.views.every((kept) => movement(kept, view) >= options.minMovePx)
      ) {
        capture.views.push(view);
      }
    }
    options.progress?.update(
      capture.views.length,
      `views (${capture.frames} frames, board in ${capture.framesWithBoard})`,
    );
    if (capture.views.length >= options.views || Date.now() > deadline) break;
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
