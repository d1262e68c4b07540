import assert from "node:assert/strict";
import {
  applyRigid,
  composeRigid,
  invertRigid,
  matFromQuat,
  quatFromMat,
  quatFromRpy,
  type Rigid,
  rpyFromQuat,
} from "../../calibration/geometry.ts";
import { frameTree } from "../../calibration/frame_tree.ts";

const close = (a: number[], b: number[], eps = 1e-12) =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < eps, `${a} vs ${b}`));

Deno.test("roll/pitch/yaw are intrinsic Z-Y-X and round-trip through quaternions and matrices", () => {
  // Yaw 90° turns x onto y.
  close(
    applyRigid({
      translation: [0, 0, 0],
      rotation: quatFromRpy(0, 0, Math.PI / 2),
    }, [1, 0, 0]),
    [0, 1, 0],
  );
  // Pitch 90° turns x onto -z; applied after yaw in the body frame.
  close(
    applyRigid({
      translation: [0, 0, 0],
      rotation: quatFromRpy(0, Math.PI / 2, 0),
    }, [1, 0, 0]),
    [0, 0, -1],
  );
  const q = quatFromRpy(0.3, -0.4, 2.5);
  close(rpyFromQuat(q), [0.3, -0.4, 2.5]);
  close(quatFromMat(matFromQuat(q)), q);
});

Deno.test("rigid transforms compose as p_to = R p_from + t and invert", () => {
  const a: Rigid = {
    translation: [1, 2, 3],
    rotation: quatFromRpy(0.1, 0.2, 0.3),
  };
  const b: Rigid = {
    translation: [-1, 0.5, 0],
    rotation: quatFromRpy(-0.4, 0, 1),
  };
  const p: [number, number, number] = [0.3, -0.7, 2];
  close(applyRigid(composeRigid(a, b), p), applyRigid(a, applyRigid(b, p)));
  close(applyRigid(invertRigid(a), applyRigid(a, p)), p);
});

Deno.test("the frame tree composes transforms from every frame into its root", () => {
  const camToBase: Rigid = {
    translation: [0.1, 0, 0.5],
    rotation: quatFromRpy(0, 0, 0),
  };
  const baseToWorld: Rigid = {
    translation: [1, 2, 0],
    rotation: quatFromRpy(0, 0, Math.PI / 2),
  };
  const nodes = frameTree([
    { from: "cam", to: "base", transform: camToBase },
    { from: "base", to: "world", transform: baseToWorld },
  ]);
  assert.deepEqual(nodes.map((n) => [n.frame, n.depth]), [["world", 0], [
    "base",
    1,
  ], ["cam", 2]]);
  close(applyRigid(nodes[2].toRoot, [0, 0, 0]), [1, 2.1, 0.5]);
});
