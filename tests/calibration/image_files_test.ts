import assert from "node:assert/strict";
import jpeg from "jpeg-js";
import {
  decodeImage,
  encodePgm,
  frameImageFile,
} from "../../calibration/image_files.ts";
import { greyFrame } from "../../core/image.ts";
import type { CameraSensor } from "../../core/registries/entries.ts";
import type { z } from "zod";

Deno.test("PGM round-trips, and 16-bit PPM is read as 8-bit grey", () => {
  const image = {
    width: 3,
    height: 2,
    data: new Uint8Array([0, 50, 100, 150, 200, 255]),
  };
  assert.deepEqual(decodeImage("a.pgm", encodePgm(image)), image);
  const header = new TextEncoder().encode("P6\n# a comment\n2 1\n65535\n");
  const pixels = new Uint8Array([
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff, // white
    0x80,
    0x80,
    0x00,
    0x00,
    0x00,
    0x00, // half red
  ]);
  const ppm = new Uint8Array([...header, ...pixels]);
  const grey = decodeImage("b.ppm", ppm);
  assert.deepEqual([grey.width, grey.height], [2, 1]);
  assert.equal(grey.data[0], 255);
  assert.equal(grey.data[1], Math.round(128.5 * 77 / 256));
  assert.throws(
    () => decodeImage("c.pgm", new TextEncoder().encode("P2\n1 1\n255\n7")),
    /netpbm type P2 is not binary P5 or P6/,
  );
  assert.throws(
    () => decodeImage("d.pgm", new TextEncoder().encode("P5\n4 4\n255\n")),
    /0 pixel bytes, 16 needed/,
  );
});

/** A camera entry of a `width` x `height` frame in `format`. */
function camera(
  format: string,
  encoding: string,
  stride: number,
): z.infer<typeof CameraSensor> {
  return {
    peer_id: "peer",
    sensor_id: "cam",
    type: "rgb",
    kind: "camera",
    width: 5,
    height: 3,
    frame_rate_hz: 5,
    image_encoding: encoding,
    pixel_format: format,
    row_stride_bytes: stride,
    color_space: "srgb",
    intrinsics_model: "pinhole",
    distortion_model: "plumb_bob",
    frame: { id: "cam", hash: "h" },
  } as z.infer<typeof CameraSensor>;
}

/** `length` pseudo-random bytes. */
function bytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 97 + 13) % 256);
}

Deno.test("saved frames keep their encoding and read back as the grey image the capture detected on", () => {
  // Raw colour (with row padding) as PPM, grey formats as PGM.
  for (
    const [format, size, file] of [
      ["rgb8", 3, "ppm"],
      ["bgr8", 3, "ppm"],
      ["rgba8", 4, "ppm"],
      ["bgra8", 4, "ppm"],
      ["mono8", 1, "pgm"],
      ["yuyv", 2, "pgm"],
    ] as const
  ) {
    const cam = camera(format, "raw", 5 * size + 3);
    const frame = bytes(cam.row_stride_bytes * 3);
    const saved = frameImageFile(cam, frame);
    assert.equal(saved.extension, file, format);
    assert.deepEqual(
      decodeImage(`view.${saved.extension}`, saved.bytes),
      greyFrame(cam, frame),
      format,
    );
  }
  const rgb = frameImageFile(camera("rgb8", "raw", 15), bytes(45));
  assert.deepEqual(
    rgb.bytes,
    new Uint8Array([
      ...new TextEncoder().encode("P6\n5 3\n255\n"),
      ...bytes(45),
    ]),
  );
  // A JPEG frame is kept byte for byte.
  const rgba = Uint8Array.from({ length: 5 * 3 * 4 }, (_, i) => (i * 53) % 256);
  const jpg = jpeg.encode({ data: rgba, width: 5, height: 3 }, 90).data;
  const cam = camera("jpeg", "jpeg", 0);
  const saved = frameImageFile(cam, jpg);
  assert.equal(saved.extension, "jpg");
  assert.deepEqual(saved.bytes, jpg);
  assert.deepEqual(decodeImage("view.jpg", saved.bytes), greyFrame(cam, jpg));
});
