import assert from "node:assert/strict";
import { DEFAULT_BOARD, markerCorners } from "../../calibration/board.ts";
import {
  boardView,
  type DetectedMarker,
  detectMarkers,
  findMarkers,
  splitAtBorder,
} from "../../calibration/detect.ts";
import { quatFromRpy, type Rigid } from "../../calibration/geometry.ts";
import { linearImage } from "../../calibration/linear_light.ts";
import { refineCorners } from "../../calibration/refine.ts";
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
    detectMarkers(renderer.render(pose), DEFAULT_BOARD.dictionary, colorSpace)
      .markers,
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

/** The largest distance of `marker`'s corners from the truth at `pose` through `lens`, pixels. */
function worstCorner(
  lens: typeof ORDINARY_LENS,
  pose: Rigid,
  marker: DetectedMarker,
): number {
  const truth = trueCorners(
    lens,
    pose,
    markerCorners(DEFAULT_BOARD, marker.id)!,
  );
  return Math.max(
    ...marker.corners.map(([u, v], i) =>
      Math.hypot(u - truth[i][0], v - truth[i][1])
    ),
  );
}

Deno.test("markers touching the image border are dropped and counted: refined there, their corners would be pixels off", () => {
  // A half-size image, the board's left column at the left border.
  const [width, height] = [640, 360];
  const lens = { ...ORDINARY_LENS, fx: 350, fy: 352, cx: 326, cy: 177 };
  const small = new BoardRenderer(DEFAULT_BOARD, lens, { width, height });
  let atBorder = 0;
  let inside = 0;
  let worstKept = 0;
  let worstAtBorder = 0;
  for (const x of [-0.304, -0.305, -0.306]) {
    const pose: Rigid = {
      rotation: quatFromRpy(0.1, -0.1, 0.05),
      translation: [x, -0.06, 0.3],
    };
    const image = small.render(pose);
    const split = splitAtBorder(
      findMarkers(image, DEFAULT_BOARD.dictionary),
      width,
      height,
    );
    atBorder += split.atBorder.length;
    const linear = linearImage(image, "srgb");
    for (const marker of split.atBorder) {
      // Without the border rule, a marker whose corners refine enters the fit.
      const refined = refineCorners(linear, marker.corners);
      if (refined === undefined) continue;
      worstAtBorder = Math.max(
        worstAtBorder,
        worstCorner(lens, pose, { ...marker, corners: refined }),
      );
    }
    const detection = detectMarkers(image, DEFAULT_BOARD.dictionary);
    assert.equal(detection.atBorder, split.atBorder.length);
    for (const marker of detection.markers) {
      assert.ok(
        !split.atBorder.some((m) => m.id === marker.id),
        `marker ${marker.id} at the border was kept`,
      );
      worstKept = Math.max(worstKept, worstCorner(lens, pose, marker));
      inside++;
    }
  }
  assert.ok(atBorder >= 3, `${atBorder} markers read at the border`);
  assert.ok(inside >= 30, `${inside} markers kept`);
  assert.ok(worstKept < 1, `a kept corner is ${worstKept} px off`);
  assert.ok(
    worstAtBorder > 2 * worstKept,
    `refined border markers at most ${worstAtBorder} px off, kept ${worstKept} px`,
  );
});

Deno.test("the border rule drops a marker with any corner within 5 px of any image edge, and only those", () => {
  const [width, height] = [100, 80];
  const square = (id: number, x: number, y: number): DetectedMarker => ({
    id,
    corners: [[x, y], [x + 20, y], [x + 20, y + 20], [x, y + 20]],
  });
  const markers = [
    square(0, 5, 5), // touches the band's inner edge: kept
    square(1, 4.9, 30), // left
    square(2, 30, 4.9), // top
    square(3, 74.1, 30), // right: x + 20 = 94.1 > 99 - 5
    square(4, 30, 54.1), // bottom: y + 20 = 74.1 > 79 - 5
    square(5, 74, 54), // the far corner at (94, 74): kept
    square(6, 40, 30),
  ];
  const { inside, atBorder } = splitAtBorder(markers, width, height);
  assert.deepEqual(inside.map((m) => m.id), [0, 5, 6]);
  assert.deepEqual(atBorder.map((m) => m.id), [1, 2, 3, 4]);
});
