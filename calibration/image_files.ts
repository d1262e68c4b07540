/**
 * Calibration images on disk: a folder of PNG, JPEG and binary PGM / PPM
 * files read as grey images (PNG with fast-png, JPEG with jpeg-js; 16-bit
 * samples are scaled to 8 bits), and a live capture's frames written back in
 * their own encoding (JPEG as it arrived, raw colour as PPM, grey formats
 * as PGM) so it can be re-solved or audited later: read back, they give the
 * grey images the capture detected on. A folder mixing image sizes,
 * holding an unreadable image or no image at all is refused by name.
 *
 * @module
 */
import { join } from "node:path";
import { decode as decodePng } from "fast-png";
import jpeg from "jpeg-js";
import { greyFrame, type GreyImage, rgbFrame } from "../core/image.ts";
import type { CameraSensor } from "../core/registries/entries.ts";
import type { z } from "zod";

/** The file extensions read, lower case. */
const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".pgm", ".ppm"];

/** One image file read. */
export interface ImageFile {
  /** Its path. */
  path: string;
  /** Its grey image. */
  image: GreyImage;
}

/** Every image of `dir` (sorted by name), all of one size; throws naming the offending file. */
export async function readImageFolder(dir: string): Promise<ImageFile[]> {
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(dir)))
      .filter((e) => e.isFile && IMAGE_EXTENSIONS.includes(extension(e.name)))
      .map((e) => e.name).sort();
  } catch (error) {
    throw new Error(`--images ${dir}: cannot read the folder (${error})`);
  }
  if (names.length === 0) {
    throw new Error(
      `--images ${dir}: no ${IMAGE_EXTENSIONS.join(", ")} files in it`,
    );
  }
  const files: ImageFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let image: GreyImage;
    try {
      image = decodeImage(name, await Deno.readFile(path));
    } catch (error) {
      throw new Error(
        `${path}: not a readable image (${
          error instanceof Error ? error.message : error
        })`,
      );
    }
    const first = files[0]?.image;
    if (
      first !== undefined &&
      (first.width !== image.width || first.height !== image.height)
    ) {
      throw new Error(
        `${path} is ${image.width}x${image.height} but ${
          files[0].path
        } is ${first.width}x${first.height}: one camera's images must share a size`,
      );
    }
    files.push({ path, image });
  }
  return files;
}

/** The grey image of an image file's bytes, by its name's extension. */
export function decodeImage(name: string, bytes: Uint8Array): GreyImage {
  switch (extension(name)) {
    case ".png":
      return fromPng(bytes);
    case ".jpg":
    case ".jpeg": {
      const d = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return grey(d.width, d.height, 3, (p, c) => d.data[4 * p + c]);
    }
    default:
      return fromNetpbm(bytes);
  }
}

/**
 * An image file of one frame of `camera`, in the frame's own encoding: a
 * JPEG frame as it is (`jpg`), a raw colour frame as binary PPM (`ppm`),
 * any other readable frame as binary PGM of its grey (luma) image (`pgm`).
 */
export function frameImageFile(
  camera: z.infer<typeof CameraSensor>,
  frame: Uint8Array,
): { extension: "jpg" | "ppm" | "pgm"; bytes: Uint8Array } {
  if (camera.image_encoding === "jpeg") {
    return { extension: "jpg", bytes: frame };
  }
  const rgb = rgbFrame(camera, frame);
  if (rgb !== undefined) {
    return {
      extension: "ppm",
      bytes: netpbm("P6", camera.width, camera.height, rgb),
    };
  }
  return { extension: "pgm", bytes: encodePgm(greyFrame(camera, frame)) };
}

/** A binary PGM (P5) of `image`. */
export function encodePgm(image: GreyImage): Uint8Array {
  return netpbm("P5", image.width, image.height, image.data);
}

/** A binary PGM (P5) or PPM (P6) file of 8-bit `samples`. */
function netpbm(
  magic: "P5" | "P6",
  width: number,
  height: number,
  samples: Uint8Array,
): Uint8Array {
  const header = new TextEncoder().encode(
    `${magic}\n${width} ${height}\n255\n`,
  );
  const bytes = new Uint8Array(header.length + samples.length);
  bytes.set(header);
  bytes.set(samples, header.length);
  return bytes;
}

function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot).toLowerCase();
}

function fromPng(bytes: Uint8Array): GreyImage {
  const png = decodePng(bytes);
  const { width, height, channels, depth, palette } = png;
  const data = png.data as ArrayLike<number>;
  const scale = depth === 16 ? 1 / 257 : depth < 8 ? 255 / (2 ** depth - 1) : 1;
  if (palette !== undefined) {
    return grey(width, height, 3, (p, c) => palette[data[p]][c]);
  }
  return grey(
    width,
    height,
    channels >= 3 ? 3 : 1,
    (p, c) => data[p * channels + c] * scale,
  );
}

/** Binary PGM (P5) or PPM (P6), 8 or 16 bits a sample. */
function fromNetpbm(bytes: Uint8Array): GreyImage {
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    if (i >= bytes.length) throw new Error("truncated header");
    const c = bytes[i];
    if (c === 0x23) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++;
    } else if (c <= 0x20) {
      i++;
    } else {
      let token = "";
      while (i < bytes.length && bytes[i] > 0x20) {
        token += String.fromCharCode(bytes[i++]);
      }
      fields.push(token);
    }
  }
  i++;
  const [magic, w, h, max] = fields;
  if (magic !== "P5" && magic !== "P6") {
    throw new Error(`netpbm type ${magic} is not binary P5 or P6`);
  }
  const [width, height, maxval] = [Number(w), Number(h), Number(max)];
  if (
    !(width > 0 && height > 0 && maxval > 0 && maxval < 65536) ||
    !Number.isInteger(width + height + maxval)
  ) {
    throw new Error(`bad header "${fields.join(" ")}"`);
  }
  const channels = magic === "P6" ? 3 : 1;
  const wide = maxval > 255;
  const size = width * height * channels * (wide ? 2 : 1);
  if (bytes.length - i < size) {
    throw new Error(`${bytes.length - i} pixel bytes, ${size} needed`);
  }
  const scale = 255 / maxval;
  return grey(
    width,
    height,
    channels,
    wide
      ? (p, c) => {
        const k = i + 2 * (p * channels + c);
        return ((bytes[k] << 8) | bytes[k + 1]) * scale;
      }
      : (p, c) => bytes[i + p * channels + c] * scale,
  );
}

/** A grey image from pixels of `colour` samples (1 grey or 3 RGB) that `sample(pixel, channel)` reads. */
function grey(
  width: number,
  height: number,
  colour: number,
  sample: (pixel: number, channel: number) => number,
): GreyImage {
  const data = new Uint8Array(width * height);
  for (let p = 0; p < data.length; p++) {
    data[p] = colour === 1 ? Math.round(sample(p, 0)) : Math.round(
      (sample(p, 0) * 77 + sample(p, 1) * 150 + sample(p, 2) * 29) / 256,
    );
  }
  return { width, height, data };
}
