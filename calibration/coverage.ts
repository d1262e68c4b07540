/**
 * Which parts of the image the board's corners have covered, on a 3 x 3
 * grid, and which ways the board was tilted: a calibration extrapolates
 * badly into regions no view reached and cannot tell the focal length from
 * the distance without tilts, so capture shows what is still missing.
 *
 * @module
 */
import type { BoardView } from "./detect.ts";
import type { Vec3 } from "./geometry.ts";
import { MIN_TILT_DEG } from "./quality.ts";

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

/** The four ways a board can be tilted away from face-on, by the image side that is farther. */
export const TILT_DIRECTIONS = [
  "left side away",
  "right side away",
  "top away",
  "bottom away",
] as const;

/**
 * Which of {@link TILT_DIRECTIONS} some view took by at least
 * {@link MIN_TILT_DEG}, from the board normals (camera frame, `z > 0`).
 */
export function coveredTilts(normals: readonly Vec3[]): boolean[] {
  const least = Math.sin(MIN_TILT_DEG * Math.PI / 180);
  const covered = [false, false, false, false];
  for (const [nx, ny] of normals) {
    // A normal leaning to +x means the board's right side comes closer.
    if (nx >= least) covered[0] = true;
    if (nx <= -least) covered[1] = true;
    if (ny >= least) covered[2] = true;
    if (ny <= -least) covered[3] = true;
  }
  return covered;
}

/** The names of the tilt directions not covered, e.g. `left side away`. */
export function missingTilts(covered: readonly boolean[]): string[] {
  return TILT_DIRECTIONS.filter((_, i) => !covered[i]);
}

/** What is still missing: the regions and tilts not covered, in one line. */
export function coverageText(
  cells: readonly boolean[],
  tilts: readonly boolean[],
): string {
  const regions = missingRegions(cells);
  const directions = missingTilts(tilts);
  return `coverage ${coverageMap(cells)}; regions missing: ${
    regions.length > 0 ? regions.join(", ") : "none"
  }; tilts (${MIN_TILT_DEG}°+) missing: ${
    directions.length > 0 ? directions.join(", ") : "none"
  }`;
}
