/**
 * Camera previews of single frames: raw colour frames downscaled to at most
 * 320 pixels wide keeping the aspect ratio and the colours (red and blue in
 * their places for rgb8 and bgr8), grey formats through the luma, JPEG
 * frames passed through untouched, and unsupported formats refused by name.
 * The JPEGs come from the real encoder worker, which stops when idle.
 *
 * @module
 */
import assert from "node:assert/strict";
import jpeg from "jpeg-js";
import { previewImage } from "../../../agent/http/preview.ts";
import { JpegEncoder } from "../../../agent/http/jpeg_encoder.ts";
import type { CameraSensor } from "../../../core/registries/entries.ts";
import type { z } from "zod";

function camera(
  width: number,
  height: number,
  pixelFormat: string,
  bytesPerPixel: number,
  encoding = "raw",
): z.infer<typeof CameraSensor> {
  return {
    peer_id: "",
    sensor_id: "cam",
    type: "rgb",
    kind: "camera",
    width,
    height,
    frame_rate_hz: 30,
    image_encoding: encoding,
    pixel_format: pixelFormat,
    row_stride_bytes: encoding === "raw" ? width * bytesPerPixel : 0,
    color_space: "srgb",
    intrinsics_model: "pinhole",
    distortion_model: "plumb_bob",
    frame: { peer_id: "", id: "cam_link", hash: "0".repeat(32) },
  };
}

/** A frame whose left half is colour `left` and right half `right`. */
function halves(
  width: number,
  height: number,
  size: number,
  left: number[],
  right: number[],
): Uint8Array {
  const frame = new Uint8Array(width * height * size);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      frame.set(x < width / 2 ? left : right, (y * width + x) * size);
    }
  }
  return frame;
}

/** The decoded JPEG preview of `frame`, encoded by `encoder`. */
async function preview(
  encoder: JpegEncoder,
  cam: ReturnType<typeof camera>,
  frame: Uint8Array,
) {
  const image = previewImage(cam, frame);
  if (image.kind !== "rgba") throw new Error(`got ${image.kind}, not pixels`);
  const bytes = await encoder.encode(
    image.data,
    image.width,
    image.height,
    70,
  );
  return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 24, `${what}: ${actual}`);
}

Deno.test("preview: a 1280x720 rgb8 frame becomes a 320x180 JPEG with its colours", async () => {
  const encoder = new JpegEncoder();
  const frame = halves(1280, 720, 3, [255, 0, 0], [0, 0, 255]);
  const image = await preview(encoder, camera(1280, 720, "rgb8", 3), frame);
  encoder.close();
  assert.equal(image.width, 320);
  assert.equal(image.height, 180);
  const at = (x: number) => image.data.subarray((90 * 320 + x) * 4);
  near(at(40)[0], 255, "red on the left");
  near(at(40)[2], 0, "no blue on the left");
  near(at(280)[2], 255, "blue on the right");
});

Deno.test("preview: bgr8 swaps to red, luma8 is grey, small frames keep their size", async () => {
  const encoder = new JpegEncoder();
  const bgr = await preview(
    encoder,
    camera(64, 48, "bgr8", 3),
    halves(64, 48, 3, [0, 0, 255], [0, 0, 255]),
  );
  assert.equal(bgr.width, 64);
  assert.equal(bgr.height, 48);
  near(bgr.data[0], 255, "bgr8 red");
  near(bgr.data[2], 0, "bgr8 blue");
  const grey = await preview(
    encoder,
    camera(640, 480, "luma8", 1),
    halves(640, 480, 1, [40], [200]),
  );
  encoder.close();
  assert.equal(grey.width, 320);
  assert.equal(grey.height, 240);
  const right = grey.data.subarray((120 * 320 + 300) * 4);
  near(right[0], 200, "luma");
  near(right[1], 200, "luma is grey");
});

Deno.test("preview: JPEG frames pass through; unknown pixel formats are named", () => {
  const original = jpeg.encode({
    data: new Uint8Array(16 * 8 * 4).fill(128),
    width: 16,
    height: 8,
  }, 80).data;
  assert.deepEqual(
    previewImage(camera(16, 8, "rgb8", 0, "jpeg"), original),
    { kind: "jpeg", bytes: original },
  );
  assert.throws(
    () => previewImage(camera(16, 8, "16uc1", 2), new Uint8Array(256)),
    /16uc1/,
  );
  assert.throws(
    () => previewImage(camera(16, 8, "rgb8", 0, "h264"), new Uint8Array(8)),
    /h264/,
  );
  assert.throws(
    () => previewImage(camera(16, 8, "rgb8", 3), new Uint8Array(10)),
    /too short/,
  );
});

Deno.test("preview encoder: the worker starts on demand, stops when idle and when closed", async () => {
  const encoder = new JpegEncoder(200);
  assert.equal(encoder.running, false);
  const jpegs = await Promise.all(
    [1, 2, 3].map((v) =>
      encoder.encode(new Uint8Array(8 * 8 * 4).fill(v * 60), 8, 8, 70)
    ),
  );
  for (const bytes of jpegs) {
    assert.deepEqual([...bytes.slice(0, 2)], [0xff, 0xd8]);
  }
  assert.equal(encoder.running, true);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(encoder.running, false);
  const pending = encoder.encode(new Uint8Array(4 * 4 * 4), 4, 4, 70);
  encoder.close();
  await assert.rejects(pending, /stopped/);
  assert.equal(encoder.running, false);
});
