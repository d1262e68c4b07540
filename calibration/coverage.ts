/**
 * Which parts of the image the board's corners have covered, on a 3 x 3
 * grid: a calibration extrapolates badly into regions no view reached, so
 * capture shows what is still missing.
 *
 * @module
 */
import type { BoardView } from "./detect.ts";

const ROWS = ["top", "middle", "bottom"];
const COLUMNS = ["left", "centre", "right"];

/** The 3 x 3 cells (row-major) some corner of `views` fell in. */
export function coveredCells(
  views: readonly BoardView[],
  width: number,
  height: number,
): boolean[] {
  const cells = new Array(9).fill(false);
  for (const view of views) {
    for (const [u, v] of view.imagePoints) {
      const column = Math.min(2, Math.max(0, Math.floor(3 * u / width)));
      const row = Math.min(2, Math.max(0, Math.floor(3 * v / height)));
      cells[row * 3 + column] = true;
    }
  }
  return cells;
}

/** The names of the cells not covered, e.g. `top left`. */
export function missingRegions(cells: readonly boolean[]): string[] {
  return cells.flatMap((covered, i) =>
    covered ? [] : [`${ROWS[Math.floor(i / 3)]} ${COLUMNS[i % 3]}`]
  );
}

/** A compact map of the grid, `#` covered and `.` not, rows separated by `/`. */
export function coverageMap(cells: readonly boolean[]): string {
  return [0, 1, 2].map((r) =>
    cells.slice(3 * r, 3 * r + 3).map((c) => (c ? "#" : ".")).join("")
  ).join("/");
}
