/**
 * Reading sensor registry entries of other peers: every camera shape that
 * generation-A builds have shipped is accepted, with documented defaults
 * for the fields older builds do not write (README "Reading older camera
 * entries"). The defaults fill the parsed entry only; the canonical JSON
 * and its hash stay as received.
 *
 * @module
 */
import { SensorEntry } from "./entries.ts";

/** What an older camera entry's frames are when it names no `image_encoding`. */
export const DEFAULT_IMAGE_ENCODING = "jpeg";

/** Bytes per pixel of the raw pixel formats, for a missing `row_stride_bytes`. */
export const RAW_BYTES_PER_PIXEL: Readonly<Record<string, number>> = {
  rgb8: 3,
  bgr8: 3,
  rgba8: 4,
  bgra8: 4,
  mono8: 1,
  luma8: 1,
  "8uc1": 1,
  mono16: 2,
  "16uc1": 2,
  "32fc1": 4,
  yuyv: 2,
  uyvy: 2,
  yuv_nv12: 1,
  nv12: 1,
};

/**
 * Parses a sensor entry another peer serves. A camera entry without
 * `image_encoding` carries encoded images (spec wire.md 8: the frame is an
 * encoded image, e.g. JPEG) unless it gives a `row_stride_bytes` above 0
 * (raw); a raw one without `row_stride_bytes` has packed rows (width times
 * the pixel format's bytes per pixel); a missing `calibration` is no
 * calibration. Throws as `SensorEntry.parse` on anything else.
 */
export function readSensorEntry(value: unknown): SensorEntry {
  if (
    typeof value !== "object" || value === null ||
    (value as { kind?: unknown }).kind !== "camera"
  ) {
    return SensorEntry.parse(value);
  }
  const camera = { ...value } as Record<string, unknown>;
  const stride = camera.row_stride_bytes;
  if (camera.image_encoding === undefined) {
    camera.image_encoding = typeof stride === "number" && stride > 0
      ? "raw"
      : DEFAULT_IMAGE_ENCODING;
  }
  if (stride === undefined) {
    camera.row_stride_bytes = camera.image_encoding === "raw"
      ? packedStride(camera)
      : 0;
  }
  return SensorEntry.parse(camera);
}

function packedStride(camera: Record<string, unknown>): number {
  const format = String(camera.pixel_format).toLowerCase();
  const bytes = RAW_BYTES_PER_PIXEL[format];
  if (bytes === undefined || typeof camera.width !== "number") {
    throw new Error(
      `camera entry "${camera.sensor_id}" has raw ${camera.pixel_format} images without row_stride_bytes, and their row size is unknown`,
    );
  }
  return camera.width * bytes;
}
