/**
 * `greyFrame` refuses a raw frame too short for its last row's pixels,
 * whatever the pixel size, and reads one that holds them exactly.
 *
 * @module
 */
import assert from "node:assert/strict";
import { greyFrame } from "../../core/image.ts";
import { simCamera } from "../../drivers/camera/sim_camera.ts";
import { registryEntries } from "../drivers/fake_sink.ts";

/** A raw 16 x 16 camera entry in `format` with rows of `stride` bytes. */
function camera(format: string, stride: number) {
  const { sensor } = registryEntries(
    simCamera.create(simCamera.config.parse({ width: 16, height: 16 }))
      .description,
  );
  assert.ok(sensor.kind === "camera");
  return { ...sensor, pixel_format: format, row_stride_bytes: stride };
}

const CASES: [format: string, pixelBytes: number][] = [
  ["rgb8", 3],
  ["bgra8", 4],
  ["yuyv", 2],
];

for (const [format, pixelBytes] of CASES) {
  Deno.test(`greyFrame: a ${format} frame must hold its last row's pixels`, () => {
    const cam = camera(format, 16 * pixelBytes + 2);
    const exact = 15 * cam.row_stride_bytes + 16 * pixelBytes;
    const image = greyFrame(cam, new Uint8Array(exact).fill(200));
    assert.equal(image.data.length, 256);
    assert.ok(image.data.every((v) => v === 200), `${image.data}`);
    assert.throws(
      () => greyFrame(cam, new Uint8Array(exact - 1)),
      new RegExp(`a 16x16 ${format} frame holds ${exact - 1} bytes, too few`),
    );
  });
}
