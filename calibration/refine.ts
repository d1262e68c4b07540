/**
 * Sub-pixel refinement of a marker's corners by edge fitting: along each
 * side, the dark-to-light edge is located across the side at many points
 * (the centroid of the grey-level gradient over a short profile), a line is
 * fitted to the half of the side next to each corner (so lens curvature
 * barely bends it), and each corner becomes the intersection of its two
 * lines. OpenCV's `cornerSubPix` is not in the opencv-js build.
 *
 * @module
 */
import type { GreyImage } from "../core/image.ts";

type Point = [number, number];

/** How far across a side the edge is searched, pixels. */
const SEARCH_PX = 3;
/** Profile step across the side, pixels. */
const STEP_PX = 0.25;

/** The corners refined by edge fitting; a corner whose lines cannot be fitted keeps its position. */
export function refineCorners(image: GreyImage, corners: Point[]): Point[] {
  let current = corners;
  for (let pass = 0; pass < 2; pass++) {
    current = current.map((corner, k) => {
      const before = current[(k + 3) % 4];
      const after = current[(k + 1) % 4];
      const a = fitEdge(image, before, corner, 0.5, 0.85);
      const b = fitEdge(image, corner, after, 0.15, 0.5);
      if (a === undefined || b === undefined) return corner;
      const point = intersect(a, b);
      if (
        point === undefined ||
        Math.hypot(point[0] - corner[0], point[1] - corner[1]) > SEARCH_PX
      ) {
        return corner;
      }
      return point;
    });
  }
  return current;
}

/** A line through `point` along unit `direction`. */
interface Line {
  point: Point;
  direction: Point;
}

/** Fits the edge between `from` and `to` over the fraction [`start`, `end`] of the side. */
function fitEdge(
  image: GreyImage,
  from: Point,
  to: Point,
  start: number,
  end: number,
): Line | undefined {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  const length = Math.hypot(dx, dy);
  if (length < 6) return undefined;
  const d: Point = [dx / length, dy / length];
  const n: Point = [-d[1], d[0]];
  const points: Point[] = [];
  const samples = Math.max(4, Math.floor(length * (end - start)));
  for (let i = 0; i <= samples; i++) {
    const s = length * (start + (end - start) * i / samples);
    const base: Point = [from[0] + d[0] * s, from[1] + d[1] * s];
    const t = edgeOffset(image, base, n);
    if (t !== undefined) points.push([base[0] + n[0] * t, base[1] + n[1] * t]);
  }
  if (points.length < 4) return undefined;
  let line = fitLine(points);
  const kept = points.filter((p) => distance(line, p) < 0.75);
  if (kept.length >= 4 && kept.length < points.length) line = fitLine(kept);
  return line;
}

/** The offset along `n` from `base` of the strongest edge (gradient centroid), or `undefined`. */
function edgeOffset(
  image: GreyImage,
  base: Point,
  n: Point,
): number | undefined {
  const steps = Math.round(2 * SEARCH_PX / STEP_PX);
  const values: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = -SEARCH_PX + i * STEP_PX;
    const v = bilinear(image, base[0] + n[0] * t, base[1] + n[1] * t);
    if (v === undefined) return undefined;
    values.push(v);
  }
  const gradients = values.slice(1).map((v, i) => Math.abs(v - values[i]));
  const peak = Math.max(...gradients);
  if (peak < 2) return undefined;
  let sum = 0;
  let weighted = 0;
  gradients.forEach((g, i) => {
    if (g < 0.15 * peak) return;
    sum += g;
    weighted += g * (-SEARCH_PX + (i + 0.5) * STEP_PX);
  });
  return weighted / sum;
}

/** Total least squares line through points. */
function fitLine(points: Point[]): Line {
  const mx = points.reduce((s, p) => s + p[0], 0) / points.length;
  const my = points.reduce((s, p) => s + p[1], 0) / points.length;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  return { point: [mx, my], direction: [Math.cos(angle), Math.sin(angle)] };
}

function distance(line: Line, p: Point): number {
  const [dx, dy] = [p[0] - line.point[0], p[1] - line.point[1]];
  return Math.abs(dx * line.direction[1] - dy * line.direction[0]);
}

function intersect(a: Line, b: Line): Point | undefined {
  const [d1x, d1y] = a.direction;
  const [d2x, d2y] = b.direction;
  const det = d1x * d2y - d1y * d2x;
  if (Math.abs(det) < 1e-6) return undefined;
  const rx = b.point[0] - a.point[0];
  const ry = b.point[1] - a.point[1];
  const s = (rx * d2y - ry * d2x) / det;
  return [a.point[0] + d1x * s, a.point[1] + d1y * s];
}

/** Bilinear grey level at `(x, y)` (pixel centres at integers), or `undefined` outside. */
function bilinear(image: GreyImage, x: number, y: number): number | undefined {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 < 0 || y0 < 0 || x0 + 1 >= image.width || y0 + 1 >= image.height) {
    return undefined;
  }
  const fx = x - x0;
  const fy = y - y0;
  const i = y0 * image.width + x0;
  const d = image.data;
  const top = d[i] + (d[i + 1] - d[i]) * fx;
  const bottom = d[i + image.width] +
    (d[i + image.width + 1] - d[i + image.width]) * fx;
  return top + (bottom - top) * fy;
}
