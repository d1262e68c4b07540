import assert from "node:assert/strict";
import { pinholeCalibration } from "../../calibration/pinhole.ts";

Deno.test("pinholeCalibration follows the field of view", () => {
  const { fx, cx, cy } = pinholeCalibration(640, 480, 90);
  assert.deepEqual([fx, cx, cy], [320, 320, 240]);
  assert.ok(pinholeCalibration(640, 480, 120).fx < fx);
});
