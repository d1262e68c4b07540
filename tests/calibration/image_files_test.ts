import assert from "node:assert/strict";
import { decodeImage, encodePgm } from "../../calibration/image_files.ts";

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
