import assert from "node:assert/strict";
import { DEFAULT_BOARD } from "../../../calibration/board.ts";
import { boardView, detectMarkers } from "../../../calibration/detect.ts";
import { applyRigid } from "../../../calibration/geometry.ts";
import { projectPoint } from "../../../calibration/pinhole.ts";
import {
  defaultPoses,
  TargetScene,
} from "../../../drivers/camera/sim_target.ts";

Deno.test("the simulated target renders the board where the true camera model projects it", () => {
  const [width, height] = [1280, 720];
  const k = {
    fx: 700,
    fy: 705,
    cx: 652,
    cy: 355,
    distortion_coefficients: [-0.12, 0.04, 0.001, -0.0007, 0],
  };
  const poses = defaultPoses(DEFAULT_BOARD, k, width, height).slice(0, 4);
  const scene = new TargetScene(width, height, k, DEFAULT_BOARD, poses);
  const rgb = new Uint8Array(width * height * 3);
  poses.forEach((_, p) => {
    scene.renderInto(rgb, p);
    const grey = { width, height, data: rgb.filter((_, i) => i % 3 === 0) };
    const view = boardView(
      DEFAULT_BOARD,
      detectMarkers(grey, DEFAULT_BOARD.dictionary, "linear").markers,
    );
    assert.ok(view.ids.length >= 12, `pose ${p}: ${view.ids.length} markers`);
    let sum = 0;
    view.objectPoints.forEach((o, i) => {
      const [u, v] = projectPoint(k, applyRigid(scene.poses[p], o))!;
      sum += (u - view.imagePoints[i][0]) ** 2 +
        (v - view.imagePoints[i][1]) ** 2;
    });
    const rms = Math.sqrt(sum / view.objectPoints.length);
    assert.ok(rms < 0.3, `pose ${p}: corners ${rms} px RMS off the projection`);
  });
});
