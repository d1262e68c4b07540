/**
 * Sub-pixel refinement of a marker's corners by edge fitting: along each
 * side, the light-to-dark edge is located across the side at many points
 * (the centroid of the falling grey-level gradient over a short profile), a
 * parabola (a line for short sides) is fitted to them so the lens' bending
 * of the side does not shift the ends, and each corner becomes the
 * intersection of its two sides' curves. It runs in linear light: on gamma-encoded grey levels a blurred
 * edge's gradient centroid moves towards the dark side. OpenCV's
 * `cornerSubPix` is not in the opencv-js build.
 *
 * @module
 */
import type { LinearImage } from "./linear_light.ts";

type Point = [number, number];

/** How far across a side the edge is searched, pixels. */
const SEARCH_PX = 3;
/** Profile step across the side, pixels. */
const STEP_PX = 0.25;

/**
 * The corners refined by edge fitting, or `undefined` when a corner's sides
 * cannot be fitted (an unrefined corner is pixels off and would only spoil
 * the fit).
 */
export function refineCorners(
  image: LinearImage,
  corners: Point[],
): Point[] | undefined {
  // The side normals must point into the marker: flip them for corners
  // listed counter-clockwise on screen.
  const inward = signedArea(corners) > 0 ? 1 : -1;
  let current = corners;
  for (let pass = 0; pass < 2; pass++) {
    const sides: Curve[] = [];
    for (let k = 0; k < 4; k++) {
      const side = fitSide(image, current[k], current[(k + 1) % 4], inward);
      if (side === undefined) return undefined;
      sides.push(side);
    }
    const refined: Point[] = [];
    for (let k = 0; k < 4; k++) {
      const before = sides[(k + 3) % 4];
      const point = intersectCurves(before, before.length, sides[k], 0);
      const corner = current[k];
      if (
        point === undefined ||
        Math.hypot(point[0] - corner[0], point[1] - corner[1]) > SEARCH_PX
      ) {
        return undefined;
      }
      refined.push(point);
    }
    current = refined;
  }
  return current;
}

/** Twice the signed area of a polygon (positive when clockwise on screen, y down). */
function signedArea(points: Point[]): number {
  return points.reduce((sum, [x, y], i) => {
    const [nx, ny] = points[(i + 1) % points.length];
    return sum + x * ny - nx * y;
  }, 0);
}

/**
 * A side's edge as a curve: the points `from + s d + (a + b s + c s²) n`
 * for `s` along the side (a parabola follows the lens' bending of a long
 * side; short sides are fitted as lines, `c = 0`).
 */
interface Curve {
  from: Point;
  d: Point;
  n: Point;
  length: number;
  coefficients: [number, number, number];
}

/** Sides at least this long are fitted with a parabola, pixels. */
const CURVED_SIDE_PX = 30;
/** The part of a side sampled (its ends are next to the other sides' edges). */
const [SIDE_START, SIDE_END] = [0.12, 0.88];

/** Fits the edge of the side from `from` to `to`, or `undefined`. */
function fitSide(
  image: LinearImage,
  from: Point,
  to: Point,
  inward: number,
): Curve | undefined {
  const dx = to[0] - from[0];
  const dy = to[1] - from[1];
  const length = Math.hypot(dx, dy);
  if (length < 8) return undefined;
  const d: Point = [dx / length, dy / length];
  const n: Point = [-d[1] * inward, d[0] * inward];
  const samples: Point[] = [];
  const count = Math.max(8, Math.floor(length * (SIDE_END - SIDE_START)));
  for (let i = 0; i <= count; i++) {
    const s = length * (SIDE_START + (SIDE_END - SIDE_START) * i / count);
    const t = edgeOffset(image, [from[0] + d[0] * s, from[1] + d[1] * s], n);
    if (t !== undefined) samples.push([s, t]);
  }
  const degree = length >= CURVED_SIDE_PX ? 2 : 1;
  if (samples.length < 6) return undefined;
  let coefficients = fitPolynomial(samples, degree);
  const residual = ([s, t]: Point) =>
    Math.abs(
      t - (coefficients[0] + s * (coefficients[1] + s * coefficients[2])),
    );
  const kept = samples.filter((p) => residual(p) < 0.75);
  if (kept.length >= 6 && kept.length < samples.length) {
    coefficients = fitPolynomial(kept, degree);
  }
  return { from, d, n, length, coefficients };
}

/** Least-squares `t = a + b s (+ c s²)` through `(s, t)` points (s scaled for conditioning). */
function fitPolynomial(
  points: Point[],
  degree: 1 | 2,
): [number, number, number] {
  const scale = Math.max(...points.map(([s]) => Math.abs(s)));
  const m = degree + 1;
  const a = Array.from({ length: m }, () => new Array(m + 1).fill(0));
  for (const [s, t] of points) {
    const x = s / scale;
    const powers = [1, x, x * x].slice(0, m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) a[i][j] += powers[i] * powers[j];
      a[i][m] += powers[i] * t;
    }
  }
  for (let c = 0; c < m; c++) {
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let j = c; j <= m; j++) a[r][j] -= f * a[c][j];
    }
  }
  const x = a.map((row, i) => row[m] / row[i]);
  return [x[0], x[1] / scale, degree === 2 ? x[2] / (scale * scale) : 0];
}

/** The point of `curve` at `s`. */
function curvePoint(curve: Curve, s: number): Point {
  const [a, b, c] = curve.coefficients;
  const t = a + s * (b + s * c);
  return [
    curve.from[0] + curve.d[0] * s + curve.n[0] * t,
    curve.from[1] + curve.d[1] * s + curve.n[1] * t,
  ];
}

/** The intersection of two curves near `s = sa` on `a` and `s = sb` on `b` (tangent iteration). */
function intersectCurves(
  a: Curve,
  sa: number,
  b: Curve,
  sb: number,
): Point | undefined {
  let point: Point | undefined;
  for (let i = 0; i < 4; i++) {
    point = intersect(tangent(a, sa), tangent(b, sb));
    if (point === undefined) return undefined;
    sa = (point[0] - a.from[0]) * a.d[0] + (point[1] - a.from[1]) * a.d[1];
    sb = (point[0] - b.from[0]) * b.d[0] + (point[1] - b.from[1]) * b.d[1];
  }
  return point;
}

/** The tangent line of `curve` at `s`. */
function tangent(curve: Curve, s: number): Line {
  const [, b, c] = curve.coefficients;
  const slope = b + 2 * c * s;
  const x = curve.d[0] + curve.n[0] * slope;
  const y = curve.d[1] + curve.n[1] * slope;
  const norm = Math.hypot(x, y);
  return { point: curvePoint(curve, s), direction: [x / norm, y / norm] };
}

/** A line through `point` along unit `direction`. */
interface Line {
  point: Point;
  direction: Point;
}

/**
 * The offset along `n` (pointing into the marker) from `base` of the
 * light-to-dark edge (the centroid of the falling gradient; the marker's
 * inner dark-to-light edges do not count), or `undefined`.
 */
function edgeOffset(
  image: LinearImage,
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
  const gradients = values.slice(1).map((v, i) => Math.max(0, values[i] - v));
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
function bilinear(
  image: LinearImage,
  x: number,
  y: number,
): number | undefined {
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
