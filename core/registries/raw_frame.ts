/**
 * The size of a raw camera frame from its registry layout.
 *
 * @module
 */

/** Raw pixel formats whose frames hold a half-size chroma plane after the luma rows. */
const PLANAR_420 = new Set(["yuv_nv12", "nv12", "nv21", "i420", "yv12"]);

/**
 * Bytes of a raw frame: `row_stride_bytes * height`, or one and a half times
 * that for planar 4:2:0 formats (`YUV_NV12`, `nv12`, `nv21`, `i420`, `yv12`).
 */
export function rawFrameBytes(
  pixelFormat: string,
  rowStrideBytes: number,
  height: number,
): number {
  const luma = rowStrideBytes * height;
  return PLANAR_420.has(pixelFormat.toLowerCase()) ? luma * 3 / 2 : luma;
}
