/**
 * `greyFrame` refuses a raw frame too short for its last row's pixels,
 * whatever the pixel size, and reads one that holds them exactly.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { z } from "zod";
import type { CameraSensor } from "../../core/registries/entries.ts";
import { greyFrame } from "../../core/image.ts";

/** A raw 4 x 2 camera entry in `format` with rows of `stride` bytes. */
function camera(format: string, stride: number): z.infer<typeof CameraSensor> {
  return {
    peer_id: "peer",
    sensor_id: "cam",
    type: "rgb",
    kind: "camera",
    width: 4,
    height: 2,
    frame_rate_hz: 5,
    image_encoding: "raw",
    pixel_format: format,
    row_stride_bytes: stride,
    color_space: "srgb",
    intrinsics_model: "pinhole",
    distortion_model: "plumb_bob",
    frame: { id: "cam", hash: "h" },
  } as z.infer<typeof CameraSensor>;
}

for (const [format, pixelBytes] of [["rgb8", 3], ["bgra8", 4], ["yuyv", 2]]) {
  Deno.test(`greyFrame: a ${format} frame must hold its last row's pixels`, () => {
    const cam = camera(format as string, 4 * (pixelBytes as number) + 2);
    const exact = cam.row_stride_bytes + 4 * (pixelBytes as number);
    const image = greyFrame(cam, new Uint8Array(exact).fill(200));
    assert.equal(image.data.length, 8);
    assert.ok(image.data.every((v) => v === 200), `${image.data}`);
    assert.throws(
      () => greyFrame(cam, new Uint8Array(exact - 1)),
      new RegExp(`a 4x2 ${format} frame holds ${exact - 1} bytes, too few`),
    );
  });
}
