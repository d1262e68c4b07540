/**
 * The TFmini simulator: the swinging target, weak readings, pacing.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  isValidReading,
  TfminiDecoder,
  tfminiErrorCode,
} from "../../../drivers/rangefinder/tfmini_protocol.ts";
import {
  swingScene,
  TFMINI_SIM_DEFAULTS,
  tfminiSimFrame,
  tfminiSource,
} from "../../../drivers/rangefinder/tfmini_device_sim.ts";

Deno.test("tfmini sim: the target swings between 0.5 and 2.5 m every 4 s", () => {
  assert.deepEqual(swingScene(0), { distanceCm: 150, strength: 2000 });
  assert.deepEqual(swingScene(1), { distanceCm: 250, strength: 1200 });
  assert.deepEqual(swingScene(3), { distanceCm: 50, strength: 6000 });
  assert.deepEqual(tfminiSimFrame(TFMINI_SIM_DEFAULTS, 100), {
    distanceCm: 250,
    strength: 1200,
    temperatureRaw: (35 + 256) * 8,
  });
});

Deno.test("tfmini sim: every abnormalEvery-th frame is one of the manual's error codes in turn", () => {
  const options = { ...TFMINI_SIM_DEFAULTS, abnormalEvery: 4 };
  assert.deepEqual(
    [4, 8, 12, 16].map((i) => {
      const frame = tfminiSimFrame(options, i);
      return [tfminiErrorCode(frame), frame.strength];
    }),
    [[-1, 40], [-2, 65535], [-4, 800], [-1, 40]],
  );
  const validity = Array.from(
    { length: 9 },
    (_, i) => isValidReading(tfminiSimFrame(options, i)),
  );
  assert.deepEqual(validity, [
    true,
    true,
    true,
    true,
    false,
    true,
    true,
    true,
    false,
  ]);
});

Deno.test("tfmini sim: 100 frames a second that decode to the scene", () => {
  const source = tfminiSource();
  const frames = new TfminiDecoder().push(source.until(990)).frames;
  assert.equal(frames.length, 100);
  frames.forEach((f, i) =>
    assert.equal(f.distanceCm, swingScene(i / 100).distanceCm, `frame ${i}`)
  );
});
