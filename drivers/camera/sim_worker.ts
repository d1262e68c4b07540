/**
 * The worker thread of a simulated camera: renders frames on request, so
 * that multi-megabyte frames never take the agent's event loop. Each payload's
 * memory is transferred (not copied) to the agent.
 *
 * Messages in: {@link ToRenderer}; out: {@link FromRenderer}.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { simFrames, type SimFrameSettings } from "./sim_frames.ts";
import { errorMessage } from "../../core/logging.ts";

/** Requests to the worker: settings first, then frame indices in order. */
export type ToRenderer =
  | { op: "settings"; settings: SimFrameSettings }
  | { op: "render"; index: number };

/** Answers of the worker, one per request, in order. */
export type FromRenderer =
  | { kind: "ready" }
  | { kind: "frame"; index: number; payload: Uint8Array }
  | { kind: "failed"; message: string };

let render: ((index: number) => Uint8Array) | undefined;

self.onmessage = (event: MessageEvent<ToRenderer>) => {
  const request = event.data;
  try {
    if (request.op === "settings") {
      render = simFrames(request.settings);
      post({ kind: "ready" });
      return;
    }
    if (render === undefined) throw new Error("no settings before a frame");
    const payload = render(request.index);
    post({ kind: "frame", index: request.index, payload }, [
      payload.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    post({
      kind: "failed",
      message: errorMessage(error),
    });
  }
};

function post(message: FromRenderer, transfer: ArrayBuffer[] = []): void {
  self.postMessage(message, transfer);
}
