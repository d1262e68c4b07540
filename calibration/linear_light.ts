/**
 * Grey levels back to linear light: cameras encode their images with a
 * transfer curve (sRGB, or BT.601 / BT.709), which shifts blurred edges
 * towards the dark side, so corners are refined on the decoded values. The
 * curve is named by the camera registry entry's `color_space`.
 *
 * @module
 */
import type { GreyImage } from "../core/image.ts";

/** A grey image in linear light, scaled to 0..255. */
export interface LinearImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height` linear intensities, 0..255. */
  data: Float32Array;
}

/** The `color_space` values whose transfer curve is undone, and `linear` (none). */
const COLOR_SPACES = ["srgb", "bt.601", "bt.709", "linear"] as const;

/** The linear intensity (0..1) of an encoded value (0..1) on `colorSpace`'s curve. */
function decodeTransfer(colorSpace: string, v: number): number {
  switch (colorSpace.toLowerCase()) {
    case "linear":
      return v;
    case "bt.601":
    case "bt.709":
      return v < 0.081 ? v / 4.5 : Math.pow((v + 0.099) / 1.099, 1 / 0.45);
    default:
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }
}

/** Throws unless `colorSpace` names a known transfer curve. */
export function checkColorSpace(colorSpace: string): void {
  if (!(COLOR_SPACES as readonly string[]).includes(colorSpace.toLowerCase())) {
    throw new Error(
      `color space "${colorSpace}" is not one of ${COLOR_SPACES.join(", ")}`,
    );
  }
}

/** `image` decoded to linear light with `colorSpace`'s transfer curve. */
export function linearImage(image: GreyImage, colorSpace: string): LinearImage {
  checkColorSpace(colorSpace);
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    table[i] = 255 * decodeTransfer(colorSpace, i / 255);
  }
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = table[image.data[i]];
  return { width: image.width, height: image.height, data };
}
