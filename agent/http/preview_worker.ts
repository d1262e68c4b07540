/**
 * The worker thread of the camera previews: encodes downscaled RGBA images
 * as JPEG with jpeg-js, so that an encode (tens of milliseconds) never
 * takes the agent's event loop. Pixels and JPEG bytes are transferred, not
 * copied.
 *
 * Messages in: {@link ToEncoder}; out: {@link FromEncoder}, one per request,
 * in order.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import jpeg from "jpeg-js";
import { errorMessage } from "../../core/logging.ts";

/** A request: RGBA pixels, row-major without padding, and the JPEG quality. */
export interface ToEncoder {
  /** `width * height * 4` bytes. */
  rgba: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** JPEG quality, 1 to 100. */
  quality: number;
}

/** An answer: the JPEG, or why it failed. */
export type FromEncoder =
  | { kind: "jpeg"; bytes: Uint8Array }
  | { kind: "failed"; message: string };

self.onmessage = (event: MessageEvent<ToEncoder>) => {
  const { rgba, width, height, quality } = event.data;
  try {
    const { data } = jpeg.encode({ data: rgba, width, height }, quality);
    const bytes = new Uint8Array(data);
    post({ kind: "jpeg", bytes }, [bytes.buffer]);
  } catch (error) {
    post({ kind: "failed", message: errorMessage(error) });
  }
};

function post(answer: FromEncoder, transfer: ArrayBuffer[] = []): void {
  self.postMessage(answer, transfer);
}
