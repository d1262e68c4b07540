/**
 * Camera previews for the status page: the newest frame of a camera as a
 * JPEG, produced only when asked for, at most every 100 ms per camera.
 * JPEG frames (MJPEG) are passed through; raw frames are downscaled to at
 * most 320 pixels wide here and encoded with jpeg-js on a worker thread.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import { greyFrame } from "../../core/image.ts";
import type { Catalog } from "../catalog/catalog.ts";
import { CameraFrameSchema } from "../../core/proto/gen/auki/camera_pb.ts";
import type { CameraSensor } from "../../core/registries/entries.ts";
import { JpegEncoder } from "./jpeg_encoder.ts";
import { latestEntry, type SensorEntries } from "./sensor_entries.ts";
import type { z } from "zod";

type Camera = z.infer<typeof CameraSensor>;

/** Widest preview, pixels. */
export const PREVIEW_MAX_WIDTH = 320;
const MIN_INTERVAL_MS = 100;
const QUALITY = 70;

/** Byte offsets of red, green, blue and the pixel size of colour formats. */
const COLOUR: Record<string, [number, number, number, number]> = {
  rgb8: [0, 1, 2, 3],
  bgr8: [2, 1, 0, 3],
  rgba8: [0, 1, 2, 4],
  bgra8: [2, 1, 0, 4],
};

/** A frame ready for the preview: a JPEG as recorded, or downscaled RGBA pixels to encode. */
export type PreviewImage =
  | { kind: "jpeg"; bytes: Uint8Array }
  | {
    kind: "rgba";
    data: Uint8Array<ArrayBuffer>;
    width: number;
    height: number;
  };

/** What a preview request gets. */
export type PreviewResult =
  | { kind: "jpeg"; bytes: Uint8Array }
  | { kind: "unknown" }
  | { kind: "unavailable"; reason: string };

interface Cached {
  index: number;
  atMs: number;
  bytes: Uint8Array;
}

/** Produces previews of the catalog's cameras on request. */
export class CameraPreviews {
  readonly #catalog: Catalog;
  readonly #entries: SensorEntries;
  readonly #cache = new Map<string, Cached>();
  readonly #pending = new Map<string, Promise<PreviewResult>>();
  readonly #encoder = new JpegEncoder();

  /** Previews of `catalog`'s cameras, described by `entries`. */
  constructor(catalog: Catalog, entries: SensorEntries) {
    this.#catalog = catalog;
    this.#entries = entries;
  }

  /** Stops the encoder thread. */
  close(): void {
    this.#encoder.close();
  }

  /** The preview of camera `resourceId` now (concurrent requests share one encode). */
  preview(resourceId: string): Promise<PreviewResult> {
    const pending = this.#pending.get(resourceId);
    if (pending !== undefined) return pending;
    const made = this.#make(resourceId).finally(() =>
      this.#pending.delete(resourceId)
    );
    this.#pending.set(resourceId, made);
    return made;
  }

  async #make(resourceId: string): Promise<PreviewResult> {
    const resource = this.#catalog.lookup(resourceId, "");
    const camera = resource && await this.#entries.of(resource);
    if (resource === undefined || camera?.kind !== "camera") {
      this.#cache.delete(resourceId);
      return { kind: "unknown" };
    }
    const cached = this.#cache.get(resourceId);
    const now = performance.now();
    if (cached !== undefined && now - cached.atMs < MIN_INTERVAL_MS) {
      return { kind: "jpeg", bytes: cached.bytes };
    }
    const entry = latestEntry(resource);
    if (entry === undefined) {
      return cached
        ? { kind: "jpeg", bytes: cached.bytes }
        : { kind: "unavailable", reason: "no frame recorded yet" };
    }
    if (cached?.index === entry.index) {
      cached.atMs = now;
      return { kind: "jpeg", bytes: cached.bytes };
    }
    let bytes: Uint8Array;
    try {
      const image = previewImage(
        camera,
        fromBinary(CameraFrameSchema, entry.payload).frame,
      );
      bytes = image.kind === "jpeg" ? image.bytes : await this.#encoder.encode(
        image.data,
        image.width,
        image.height,
        QUALITY,
      );
    } catch (error) {
      return {
        kind: "unavailable",
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    this.#cache.set(resourceId, { index: entry.index, atMs: now, bytes });
    return { kind: "jpeg", bytes };
  }
}

/** The preview of one frame of `camera`: JPEG as it is, raw downscaled to RGBA. */
export function previewImage(camera: Camera, frame: Uint8Array): PreviewImage {
  if (camera.image_encoding === "jpeg") return { kind: "jpeg", bytes: frame };
  if (camera.image_encoding !== "raw") {
    throw new Error(`cannot preview ${camera.image_encoding} frames`);
  }
  const step = Math.max(1, Math.ceil(camera.width / PREVIEW_MAX_WIDTH));
  const width = Math.floor(camera.width / step);
  const height = Math.max(1, Math.floor(camera.height / step));
  const rgba = new Uint8Array(width * height * 4);
  const colour = COLOUR[camera.pixel_format.toLowerCase()];
  if (colour !== undefined) {
    const [r, g, b, size] = colour;
    const stride = camera.row_stride_bytes || camera.width * size;
    if (frame.byteLength < stride * (camera.height - 1) + camera.width * size) {
      throw new Error(`a frame of ${frame.byteLength} bytes is too short`);
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * step * stride + x * step * size;
        const o = (y * width + x) * 4;
        rgba[o] = frame[i + r];
        rgba[o + 1] = frame[i + g];
        rgba[o + 2] = frame[i + b];
        rgba[o + 3] = 255;
      }
    }
  } else {
    const grey = greyFrame(camera, frame);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = grey.data[y * step * grey.width + x * step];
        const o = (y * width + x) * 4;
        rgba[o] = rgba[o + 1] = rgba[o + 2] = v;
        rgba[o + 3] = 255;
      }
    }
  }
  return { kind: "rgba", data: rgba, width, height };
}
