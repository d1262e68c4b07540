import assert from "node:assert/strict";
import { DEFAULT_BOARD } from "../../calibration/board.ts";
import { boardView, detectMarkers } from "../../calibration/detect.ts";
import { quatFromRpy, type Rigid } from "../../calibration/geometry.ts";
import {
  BoardRenderer,
  ORDINARY_LENS,
  trueCorners,
} from "../../scripts/harness/board_render.ts";

const [WIDTH, HEIGHT] = [1280, 720];
const renderer = new BoardRenderer(DEFAULT_BOARD, ORDINARY_LENS, {
  width: WIDTH,
  height: HEIGHT,
});

/** RMS and largest distance of the detected corners from the truth. */
function cornerErrors(pose: Rigid, colorSpace: string) {
  const view = boardView(
    DEFAULT_BOARD,
    detectMarkers(renderer.render(pose), DEFAULT_BOARD.dictionary, colorSpace),
  );
  const truth = trueCorners(ORDINARY_LENS, pose, view.objectPoints);
  const errors = view.imagePoints.map(([u, v], i) =>
    Math.hypot(u - truth[i][0], v - truth[i][1])
  );
  return {
    view,
    rms: Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length),
    max: Math.max(...errors),
  };
}

Deno.test("corners are refined in linear light: on a gamma-encoded render they are far closer than read as linear", () => {
  const pose: Rigid = {
    rotation: quatFromRpy(20 * Math.PI / 180, -15 * Math.PI / 180, 0),
    translation: [-0.1, -0.08, 0.3],
  };
  const decoded = cornerErrors(pose, "srgb");
  const raw = cornerErrors(pose, "linear");
  assert.equal(decoded.view.ids.length, 20);
  assert.ok(decoded.rms < 0.2, `sRGB decoded: ${decoded.rms} px RMS`);
  assert.ok(raw.rms > 2 * decoded.rms, `${raw.rms} vs ${decoded.rms} px RMS`);
});
