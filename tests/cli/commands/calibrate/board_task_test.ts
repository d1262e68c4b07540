import assert from "node:assert/strict";
import { join } from "node:path";
import { boardIds, DEFAULT_BOARD } from "../../../../calibration/board.ts";
import { calibrateBoardCommand } from "../../../../cli/commands/calibrate/board_task.ts";
import { boardView, detectMarkers } from "../../../../calibration/detect.ts";
import { MemoryOutput } from "../../../helpers/output.ts";
import { withDir } from "../../../helpers/temp_dir.ts";

/** Pixels per millimeter of the rasterized SVG. */
const SCALE = 8;

/** The SVG's size in mm and its black rectangles painted on white at {@link SCALE}. */
function rasterize(svg: string) {
  const [, w, h] = svg.match(/width="([\d.]+)mm" height="([\d.]+)mm"/)!;
  const width = Math.round(Number(w) * SCALE);
  const height = Math.round(Number(h) * SCALE);
  const data = new Uint8Array(width * height).fill(255);
  const rects = svg.matchAll(
    /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"\/>/g,
  );
  for (const [, x, y, rw, rh] of rects) {
    const [x0, y0, x1, y1] = [
      Number(x),
      Number(y),
      Number(x) + Number(rw),
      Number(y) + Number(rh),
    ].map((mm) => Math.round(mm * SCALE));
    for (let v = y0; v < y1; v++) data.fill(0, v * width + x0, v * width + x1);
  }
  return { mm: [Number(w), Number(h)], grey: { width, height, data } };
}

Deno.test("calibrate board writes a true-scale SVG the detector reads as the board, and --dry-run writes nothing", async () => {
  await withDir(async (dir) => {
    const out = join(dir, "board.svg");
    const dryRun = new MemoryOutput();
    assert.equal(
      await calibrateBoardCommand(["--out", out, "--dry-run"], dryRun),
      0,
    );
    assert.deepEqual(dryRun.stdout, [
      `will write ${out}: ${JSON.stringify(DEFAULT_BOARD)}`,
      "dry run: nothing written",
    ]);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);

    const written = new MemoryOutput();
    assert.equal(await calibrateBoardCommand(["--out", out], written), 0);
    assert.equal(written.stdout[1], "written; print it at 100% scale");
    assert.deepEqual(written.stderr, []);
    const { mm, grey } = rasterize(await Deno.readTextFile(out));
    // 5 x 4 markers of 35 mm, 10 mm apart, with a 10 mm margin.
    assert.deepEqual(mm, [235, 190]);
    const view = boardView(
      DEFAULT_BOARD,
      detectMarkers(grey, DEFAULT_BOARD.dictionary).markers,
    );
    assert.deepEqual(
      [...view.ids].sort((a, b) => a - b),
      boardIds(DEFAULT_BOARD),
    );
    const margin = DEFAULT_BOARD.marker_gap_m;
    view.objectPoints.forEach(([x, y], i) => {
      const [u, v] = view.imagePoints[i];
      const expected = [
        (x + margin) * 1000 * SCALE,
        (y + margin) * 1000 * SCALE,
      ];
      assert.ok(
        Math.hypot(u - expected[0], v - expected[1]) < 1,
        `corner ${i} at (${u}, ${v}), expected (${expected})`,
      );
    });
  });
});
