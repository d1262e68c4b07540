/**
 * Grey images from camera frames, as the marker detector reads them and the
 * status page previews grey formats: raw
 * `rgb8`, `bgr8`, `rgba8`, `bgra8`, `luma8` / `mono8`, `yuyv` / `uyvy` and
 * `YUV_NV12` (luma plane) at the registry's row stride, and `jpeg` frames
 * decoded with jpeg-js. Other formats are refused by name. Raw colour
 * frames can also be unpacked to RGB (to keep them as files).
 *
 * @module
 */
import jpeg from "jpeg-js";
import type { CameraSensor } from "./registries/entries.ts";
import type { z } from "zod";

/** An 8-bit grey image, row-major without padding. */
export interface GreyImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height` grey levels. */
  data: Uint8Array;
}

type Camera = z.infer<typeof CameraSensor>;

/** Byte offsets of red, green, blue in a pixel and the pixel size, per colour format. */
const COLOUR: Record<string, [number, number, number, number]> = {
  rgb8: [0, 1, 2, 3],
  bgr8: [2, 1, 0, 3],
  rgba8: [0, 1, 2, 4],
  bgra8: [2, 1, 0, 4],
};
/** Offset of luma in a pixel and the pixel size, per luma-carrying format. */
const LUMA: Record<string, [number, number]> = {
  luma8: [0, 1],
  mono8: [0, 1],
  yuyv: [0, 2],
  uyvy: [1, 2],
  yuv_nv12: [0, 1],
  nv12: [0, 1],
};

/** The pixel formats {@link greyFrame} reads (raw), besides `jpeg` encoding. */
const SUPPORTED_FORMATS = [...Object.keys(COLOUR), ...Object.keys(LUMA)];

/** Throws unless frames of `camera` can be read by {@link greyFrame}. */
export function checkReadable(camera: Camera): void {
  if (camera.image_encoding === "jpeg") return;
  if (camera.image_encoding !== "raw") {
    throw new Error(
      `camera "${camera.sensor_id}" publishes ${camera.image_encoding} images; only raw and jpeg images are read`,
    );
  }
  const format = camera.pixel_format.toLowerCase();
  if (COLOUR[format] === undefined && LUMA[format] === undefined) {
    throw new Error(
      `camera "${camera.sensor_id}" publishes ${camera.pixel_format} pixels; only ${
        SUPPORTED_FORMATS.join(", ")
      } and jpeg are read`,
    );
  }
}

/** The grey image of one frame's bytes, laid out as `camera` says. */
export function greyFrame(camera: Camera, bytes: Uint8Array): GreyImage {
  const { width, height } = camera;
  if (camera.image_encoding === "jpeg") {
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return fromColour(
      decoded.width,
      decoded.height,
      decoded.width * 4,
      decoded.data,
      [0, 1, 2, 4],
    );
  }
  checkReadable(camera);
  const format = camera.pixel_format.toLowerCase();
  const stride = camera.row_stride_bytes;
  const colour = COLOUR[format];
  const luma = LUMA[format];
  const pixelBytes = colour?.[3] ?? luma[1];
  if (bytes.byteLength < stride * (height - 1) + width * pixelBytes) {
    throw new Error(
      `a ${width}x${height} ${camera.pixel_format} frame holds ${bytes.byteLength} bytes, too few`,
    );
  }
  if (colour !== undefined) {
    return fromColour(width, height, stride, bytes, colour);
  }
  const [offset, step] = luma;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride + offset;
    for (let x = 0; x < width; x++) data[y * width + x] = bytes[row + x * step];
  }
  return { width, height, data };
}

/**
 * The packed RGB samples (`width * height * 3`) of a raw colour frame
 * (`rgb8`, `bgr8`, `rgba8`, `bgra8`), or `undefined` for other formats.
 */
export function rgbFrame(
  camera: Camera,
  bytes: Uint8Array,
): Uint8Array | undefined {
  const colour = COLOUR[camera.pixel_format.toLowerCase()];
  if (camera.image_encoding !== "raw" || colour === undefined) return undefined;
  const { width, height, row_stride_bytes: stride } = camera;
  const [r, g, b, step] = colour;
  if (bytes.byteLength < stride * (height - 1) + width * step) {
    throw new Error(
      `a ${width}x${height} ${camera.pixel_format} frame holds ${bytes.byteLength} bytes, too few`,
    );
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    let i = y * stride;
    for (let x = 0; x < width; x++, i += step) {
      const o = 3 * (y * width + x);
      rgb[o] = bytes[i + r];
      rgb[o + 1] = bytes[i + g];
      rgb[o + 2] = bytes[i + b];
    }
  }
  return rgb;
}

function fromColour(
  width: number,
  height: number,
  stride: number,
  bytes: Uint8Array,
  [r, g, b, step]: [number, number, number, number],
): GreyImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    let i = y * stride;
    for (let x = 0; x < width; x++, i += step) {
      data[y * width + x] =
        (bytes[i + r] * 77 + bytes[i + g] * 150 + bytes[i + b] * 29 + 128) >>
        8;
    }
  }
  return { width, height, data };
}
