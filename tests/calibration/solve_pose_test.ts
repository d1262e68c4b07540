import assert from "node:assert/strict";
import { quatFromRpy } from "../../calibration/geometry.ts";
import { averagePoses } from "../../calibration/solve_pose.ts";

const DEG = Math.PI / 180;

Deno.test("averagePoses averages translations and rotations (either quaternion sign) and reports their spread", () => {
  const poses = [-1, 1, -1, 1].map((s, i) => {
    const q = quatFromRpy(0, 0, (30 + s * 0.5) * DEG);
    return {
      translation: [0.1 + s * 0.001, 0.2, 0.5] as [number, number, number],
      // The same rotation written with the opposite sign must not cancel.
      rotation: (i === 3 ? q.map((v) => -v) : q) as typeof q,
    };
  });
  const { pose, translationStdM, rotationStdDeg } = averagePoses(poses);
  assert.ok(Math.abs(pose.translation[0] - 0.1) < 1e-12);
  const yaw = 2 * Math.atan2(pose.rotation[2], pose.rotation[3]) / DEG;
  assert.ok(Math.abs(Math.abs(yaw) - 30) < 1e-6, `yaw ${yaw}`);
  // Four deviations of 1 mm and 0.5° (n - 1 = 3 in the denominator).
  assert.ok(Math.abs(translationStdM - 0.001 * Math.sqrt(4 / 3)) < 1e-9);
  assert.ok(Math.abs(rotationStdDeg - 0.5 * Math.sqrt(4 / 3)) < 1e-6);
  assert.deepEqual(
    [
      averagePoses([poses[0]]).translationStdM,
      averagePoses([poses[0]]).rotationStdDeg,
    ],
    [0, 0],
  );
});
