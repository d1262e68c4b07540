/**
 * How V4L2 pixel formats are published: the registry camera body's
 * `image_encoding`, `pixel_format`, `type` and `color_space` for each fourcc
 * the `v4l2` driver accepts.
 *
 * @module
 */

/** How frames of one V4L2 pixel format are published. */
export interface PublishedFormat {
  /** `raw`, or the codec of compressed frames (`jpeg`). */
  encoding: "raw" | "jpeg";
  /** The registry `pixel_format` (for jpeg: what the frames decode to). */
  pixelFormat: string;
  /** The registry camera `type`. */
  type: "rgb" | "mono" | "depth";
  /** Bytes per pixel of the first plane, for raw formats. */
  bytesPerPixel: number;
}

/** The accepted V4L2 formats by fourcc name. */
export const V4L2_FORMATS: Readonly<Record<string, PublishedFormat>> = {
  MJPG: {
    encoding: "jpeg",
    pixelFormat: "rgb8",
    type: "rgb",
    bytesPerPixel: 0,
  },
  JPEG: {
    encoding: "jpeg",
    pixelFormat: "rgb8",
    type: "rgb",
    bytesPerPixel: 0,
  },
  YUYV: { encoding: "raw", pixelFormat: "yuyv", type: "rgb", bytesPerPixel: 2 },
  UYVY: { encoding: "raw", pixelFormat: "uyvy", type: "rgb", bytesPerPixel: 2 },
  NV12: {
    encoding: "raw",
    pixelFormat: "YUV_NV12",
    type: "rgb",
    bytesPerPixel: 1,
  },
  RGB3: { encoding: "raw", pixelFormat: "rgb8", type: "rgb", bytesPerPixel: 3 },
  BGR3: { encoding: "raw", pixelFormat: "bgr8", type: "rgb", bytesPerPixel: 3 },
  GREY: {
    encoding: "raw",
    pixelFormat: "luma8",
    type: "mono",
    bytesPerPixel: 1,
  },
  Y16: {
    encoding: "raw",
    pixelFormat: "mono16",
    type: "mono",
    bytesPerPixel: 2,
  },
  Z16: {
    encoding: "raw",
    pixelFormat: "16uc1",
    type: "depth",
    bytesPerPixel: 2,
  },
};

/** The registry `color_space` of a V4L2 `colorspace` value for `format`. */
export function colorSpace(format: PublishedFormat, v4l2: number): string {
  if (format.type === "depth") return "depth";
  // V4L2_COLORSPACE_SMPTE170M = 1, V4L2_COLORSPACE_REC709 = 3; SRGB (8),
  // JPEG (7) and DEFAULT (0) are sRGB.
  if (v4l2 === 1) return "BT.601";
  if (v4l2 === 3) return "BT.709";
  return "srgb";
}
