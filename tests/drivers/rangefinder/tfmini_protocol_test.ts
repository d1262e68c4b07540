/**
 * The TFmini frame codec, validity rule and stream decoder against
 * hand-computed frames.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  encodeTfminiFrame,
  isValidReading,
  tfminiChecksum,
  TfminiDecoder,
  tfminiErrorCode,
} from "../../../drivers/rangefinder/tfmini_protocol.ts";
import { fromSpacedHex } from "../../helpers/hex.ts";

// 100 cm, strength 1000 (0x03E8), temperature raw 0x0900 = 2304 (32 °C);
// checksum 0x59+0x59+0x64+0x00+0xE8+0x03+0x00+0x09 = 0x20A -> 0x0A.
const FRAME = fromSpacedHex("59 59 64 00 E8 03 00 09 0A");
const DECODED = { distanceCm: 100, strength: 1000, temperatureRaw: 2304 };

Deno.test("tfmini: a hand-computed frame", () => {
  assert.equal(tfminiChecksum(FRAME), 0x0a);
  assert.deepEqual(encodeTfminiFrame(DECODED), FRAME);
  assert.deepEqual(new TfminiDecoder().push(FRAME), {
    frames: [DECODED],
    corrupt: 0,
  });
});

Deno.test("tfmini: validity follows the manuals' strength rule", () => {
  const reading = (distanceCm: number, strength: number) =>
    isValidReading({ distanceCm, strength, temperatureRaw: 2304 });
  assert.equal(reading(100, 100), true, "strength 100 is the weakest trusted");
  assert.equal(reading(100, 99), false, "too weak");
  assert.equal(reading(100, 65534), true);
  assert.equal(reading(100, 65535), false, "overexposed");
  assert.equal(reading(0, 1000), false, "TFmini Plus: distance 0");
  assert.equal(reading(0xffff, 1000), false, "TFmini-S: distance -1");
});

Deno.test("tfmini: every negative int16 distance is a TFmini-S error code, never 655 m", () => {
  const frame = (distanceCm: number, strength: number) => ({
    distanceCm,
    strength,
    temperatureRaw: 2304,
  });
  // The manual's table: -1 too weak, -2 strength saturation, -4 ambient light.
  for (
    const [distanceCm, strength, code] of [
      [0xffff, 40, -1],
      [0xfffe, 65535, -2],
      [0xfffc, 1000, -4],
      [0xfffc, 65534, -4],
      [0xfff0, 1000, -16],
    ]
  ) {
    assert.equal(tfminiErrorCode(frame(distanceCm, strength)), code);
    assert.equal(isValidReading(frame(distanceCm, strength)), false);
  }
  assert.equal(tfminiErrorCode(frame(0xffef, 1000)), undefined);
  assert.equal(tfminiErrorCode(frame(1200, 1000)), undefined);
});

Deno.test("tfmini: the decoder resynchronises over garbage, cut and corrupt frames", () => {
  const second = encodeTfminiFrame({ ...DECODED, distanceCm: 250 });
  const bad = FRAME.slice();
  bad[8] ^= 0x01;
  const stream = Uint8Array.from([
    ...[0x59, 0x00, 0x13], // garbage with a lone header byte
    ...FRAME.subarray(0, 5), // cut short
    ...FRAME,
    ...bad,
    ...second,
  ]);
  for (const chunk of [stream.length, 1, 4]) {
    const decoder = new TfminiDecoder();
    const distances: number[] = [];
    let corrupt = 0;
    for (let at = 0; at < stream.length; at += chunk) {
      const out = decoder.push(stream.subarray(at, at + chunk));
      distances.push(...out.frames.map((f) => f.distanceCm));
      corrupt += out.corrupt;
    }
    assert.deepEqual(distances, [100, 250], `chunks of ${chunk}`);
    assert.equal(corrupt, 2, `chunks of ${chunk}: cut and bad checksum`);
  }
});
