/**
 * The worker thread of one V4L2 camera session: every device call (open,
 * ioctl, mmap, poll) runs here, synchronously, so the agent's event loop
 * never waits on the device and `errno` is always this thread's. Frames
 * are copied out of the mapped buffer straight into a CameraFrame payload,
 * whose memory is transferred (not copied) to the agent.
 *
 * Messages in: {@link ToWorker}; out: {@link FromWorker}.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { monotonicNs } from "../../core/clocks/system_time.ts";
import { allocateCameraFrame } from "./frame_payload.ts";
import { rawFrameBytes } from "../../core/registries/raw_frame.ts";
import { V4L2_FORMATS } from "./v4l2_formats.ts";
import {
  BUF_FLAG_ERROR,
  BUF_FLAG_TIMESTAMP_MASK,
  BUF_FLAG_TIMESTAMP_MONOTONIC,
} from "./v4l2_ioctl.ts";
import type { V4l2Capability, V4l2Device, V4l2Format } from "./v4l2_device.ts";
import { V4l2Error } from "./v4l2_device.ts";
import { v4l2Libc } from "./v4l2_libc.ts";
import {
  type CaptureRequest,
  negotiate,
  UnsuitableDeviceError,
} from "./v4l2_negotiate.ts";
import { errorMessage } from "../../core/logging.ts";

/** Requests to the worker. */
export type ToWorker =
  | { op: "open"; libc: string; request: CaptureRequest }
  | { op: "stream"; buffers: number }
  | { op: "close" };

/** Reports from the worker. */
export type FromWorker =
  | {
    kind: "opened";
    capability: V4l2Capability;
    format: V4l2Format;
    fps: number;
  }
  | {
    kind: "frame";
    payload: Uint8Array;
    /** Capture instant on CLOCK_MONOTONIC, ns. */
    monotonicNs: bigint;
    sequence: number;
  }
  | { kind: "bad_frame"; detail: string }
  | { kind: "failed"; message: string; gone: boolean; unsuitable: boolean }
  | { kind: "closed" }
  /** The worker's modules are loaded; requests are served from now on. */
  | { kind: "ready" };

const POLL_MS = 100;

let device: V4l2Device | undefined;
let format: V4l2Format | undefined;
let streaming = false;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function fail(error: unknown): void {
  post({
    kind: "failed",
    message: errorMessage(error),
    gone: error instanceof V4l2Error && error.gone,
    unsuitable: error instanceof UnsuitableDeviceError,
  });
}

/** Copies frame data into a payload, or says why the frame is unusable. */
function payloadOf(
  open: V4l2Device,
  index: number,
  bytesUsed: number,
): Uint8Array | string {
  const published = V4L2_FORMATS[format!.pixelFormat];
  let bytes = bytesUsed;
  if (published.encoding === "raw") {
    const expected = rawFrameBytes(
      published.pixelFormat,
      format!.bytesPerLine,
      format!.height,
    );
    if (bytesUsed < expected) {
      return `raw frame of ${bytesUsed} bytes, expected ${expected}`;
    }
    bytes = expected;
  } else if (bytesUsed < 2) {
    return `compressed frame of ${bytesUsed} bytes`;
  }
  const { payload, image } = allocateCameraFrame(bytes);
  open.copyFrame(index, image);
  if (
    published.encoding === "jpeg" && (image[0] !== 0xff || image[1] !== 0xd8)
  ) {
    return "jpeg frame does not start with FF D8";
  }
  return payload;
}

async function stream(open: V4l2Device): Promise<void> {
  while (streaming) {
    try {
      if (open.waitFrame(POLL_MS) === "ready") {
        const frame = open.dequeue();
        if (frame !== undefined) {
          const payload = (frame.flags & BUF_FLAG_ERROR) !== 0
            ? "the device flagged the frame as damaged"
            : payloadOf(open, frame.index, frame.bytesUsed);
          open.requeue(frame.index);
          if (typeof payload === "string") {
            post({ kind: "bad_frame", detail: payload });
          } else {
            const monotonic = (frame.flags & BUF_FLAG_TIMESTAMP_MASK) ===
                BUF_FLAG_TIMESTAMP_MONOTONIC
              ? frame.timestampNs
              : monotonicNs();
            post({
              kind: "frame",
              payload,
              monotonicNs: monotonic,
              sequence: frame.sequence,
            }, [payload.buffer as ArrayBuffer]);
          }
        }
      }
    } catch (error) {
      streaming = false;
      fail(error);
      return;
    }
    // Let a close request in between frames.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    switch (message.op) {
      case "open": {
        const opened = negotiate(v4l2Libc(message.libc), message.request);
        device = opened.device;
        format = opened.format;
        post({
          kind: "opened",
          capability: opened.capability,
          format: opened.format,
          fps: opened.fps,
        });
        break;
      }
      case "stream":
        device!.startStreaming(message.buffers);
        streaming = true;
        stream(device!);
        break;
      case "close":
        streaming = false;
        device?.close();
        device = undefined;
        post({ kind: "closed" });
        break;
    }
  } catch (error) {
    fail(error);
  }
};

post({ kind: "ready" });
