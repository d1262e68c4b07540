/**
 * How a view's board is tilted, before any calibration is solved: the
 * board-plane-to-image homography (a normalized direct linear transform)
 * is decomposed into the board's normal in the camera frame, with the
 * camera's published calibration, or without one after undoing the lens'
 * radial distortion with a division model fitted to the views and with a
 * focal length estimated from their homographies (tilted planes determine
 * it; square pixels and a central principal point assumed). The tilt is
 * for coverage guidance, a few degrees off (until some view is tilted by
 * 20° or more the focal length is poorly determined, and slight tilts may
 * read up to twice as large).
 *
 * @module
 */
import type { CameraCalibration } from "../core/registries/entries.ts";
import type { BoardView } from "./detect.ts";
import type { Vec3 } from "./geometry.ts";
import { undistort } from "./pinhole.ts";

/** A 3 x 3 homography, row-major. */
type Homography = number[];

/**
 * The unit normals (towards the camera's +z, so `z > 0`) of the board seen
 * in each of `views`, in the camera frame of a `width` x `height` image
 * (`undefined` for a view whose points determine no homography). With the
 * camera's published `calibration` (and its distortion `model`) the points
 * are undistorted by it; without, the lens' radial distortion (a
 * two-parameter division model, the one that lets every view fit a
 * homography best) and the focal length are estimated from all views.
 */
export function viewNormals(
  views: readonly BoardView[],
  width: number,
  height: number,
  calibration?: CameraCalibration,
  model = "plumb_bob",
): (Vec3 | undefined)[] {
  const planes = views.map((view) =>
    view.objectPoints.map(([x, y]) => [x, y] as [number, number])
  );
  let homographies: (Homography | undefined)[];
  let focal = 1;
  if (calibration !== undefined) {
    const { fx, fy, cx, cy } = calibration;
    const d = calibration.distortion_coefficients ?? [];
    homographies = views.map((view, i) =>
      homography(
        planes[i],
        view.imagePoints.map(([u, v]) =>
          undistort((u - cx) / fx, (v - cy) / fy, d, 20, model)
        ),
      )
    );
  } else {
    // Half image widths from the centre keep the search's scale fixed.
    const scale = width / 2;
    const centred = views.map((view) =>
      view.imagePoints.map(([u, v]) =>
        [(u - scale) / scale, (v - height / 2) / scale] as [number, number]
      )
    );
    const division = divisionModel(planes, centred);
    homographies = centred.map((points, i) =>
      homography(planes[i], undistortDivision(points, division))
    );
    focal = estimateFocal(homographies.filter((h) => h !== undefined));
  }
  return homographies.map((h) => {
    if (h === undefined) return undefined;
    const [a, b, , d, e, , g, k] = h;
    const r1 = unit([a / focal, d / focal, g]);
    const r2 = unit([b / focal, e / focal, k]);
    const n = unit([
      r1[1] * r2[2] - r1[2] * r2[1],
      r1[2] * r2[0] - r1[0] * r2[2],
      r1[0] * r2[1] - r1[1] * r2[0],
    ]);
    return n[2] < 0 ? [-n[0], -n[1], -n[2]] : n;
  });
}

/** Points undistorted with the division model `p / (1 + l1 r² + l2 r⁴)`. */
function undistortDivision(
  points: [number, number][],
  [l1, l2]: [number, number],
): [number, number][] {
  return points.map(([x, y]) => {
    const r2 = x * x + y * y;
    const s = 1 + r2 * (l1 + r2 * l2);
    return [x / s, y / s];
  });
}

/**
 * The two-parameter division model under which the views fit homographies
 * best (least squared residual, relative to each view's spread): a compass
 * search from no distortion, the step halved when no move helps.
 */
function divisionModel(
  planes: [number, number][][],
  centred: [number, number][][],
): [number, number] {
  const cost = (model: [number, number]) => {
    let sum = 0;
    centred.forEach((points, i) => {
      const undistorted = undistortDivision(points, model);
      if (!undistorted.every(([x, y]) => Number.isFinite(x + y))) {
        sum = Infinity;
        return;
      }
      const h = homography(planes[i], undistorted);
      if (h === undefined) return;
      // Residuals relative to the view's spread: undistorting scales them.
      const { s } = normalizer(undistorted);
      planes[i].forEach(([x, y], j) => {
        const w = h[6] * x + h[7] * y + h[8];
        const du = (h[0] * x + h[1] * y + h[2]) / w - undistorted[j][0];
        const dv = (h[3] * x + h[4] * y + h[5]) / w - undistorted[j][1];
        sum += s * s * (du * du + dv * dv);
      });
    });
    return sum;
  };
  let best: [number, number] = [0, 0];
  let bestCost = cost(best);
  for (let step = 0.2; step > 1e-3;) {
    let moved = false;
    for (const [a, b] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
      const next: [number, number] = [best[0] + a * step, best[1] + b * step];
      const c = cost(next);
      if (c < bestCost) [best, bestCost, moved] = [next, c, true];
    }
    if (!moved) step /= 2;
  }
  return best;
}

/**
 * The focal length, in half image widths, that makes each homography's
 * first two columns orthogonal and of equal length (least squares in 1/f²
 * over all views), or 1 (a 90° field of view) when the views are too close
 * to face-on to tell (their tilts are then near zero for any focal length).
 */
function estimateFocal(homographies: Homography[]): number {
  let num = 0;
  let den = 0;
  for (const h of homographies) {
    // Scale-free: each homography normalized to a unit first two columns.
    const s = Math.hypot(h[0], h[1], h[3], h[4]);
    const [a, b, , d, e, , g, k] = h.map((v) => v / s);
    const p = a * b + d * e;
    const q = a * a + d * d - b * b - e * e;
    num += p * g * k + q * (g * g - k * k);
    den += p * p + q * q;
  }
  const f = 1 / Math.sqrt(-num / den);
  return f >= 0.2 && f <= 10 ? f : 1;
}

/** The homography mapping `from` to `to` (at least 4 points), or `undefined` when degenerate. */
function homography(
  from: [number, number][],
  to: [number, number][],
): Homography | undefined {
  if (from.length < 4) return undefined;
  const [ns, nd] = [normalizer(from), normalizer(to)];
  // Normal equations of the 8 unknowns with h33 = 1.
  const ata = Array.from({ length: 8 }, () => new Array(9).fill(0));
  for (let i = 0; i < from.length; i++) {
    const [x, y] = [ns.s * (from[i][0] - ns.x), ns.s * (from[i][1] - ns.y)];
    const [u, v] = [nd.s * (to[i][0] - nd.x), nd.s * (to[i][1] - nd.y)];
    for (
      const [row, rhs] of [
        [[x, y, 1, 0, 0, 0, -u * x, -u * y], u],
        [[0, 0, 0, x, y, 1, -v * x, -v * y], v],
      ] as [number[], number][]
    ) {
      for (let r = 0; r < 8; r++) {
        for (let c = 0; c < 8; c++) ata[r][c] += row[r] * row[c];
        ata[r][8] += row[r] * rhs;
      }
    }
  }
  const solved = solveLinear(ata);
  if (solved === undefined) return undefined;
  const hn = [...solved, 1];
  // Undo the normalizations: H = Nd⁻¹ Hn Ns.
  const nsm = [ns.s, 0, -ns.s * ns.x, 0, ns.s, -ns.s * ns.y, 0, 0, 1];
  const ndInv = [1 / nd.s, 0, nd.x, 0, 1 / nd.s, nd.y, 0, 0, 1];
  return mul(ndInv, mul(hn, nsm));
}

/** The centroid and the scale that brings the points' mean distance from it to √2. */
function normalizer(points: [number, number][]) {
  const x = points.reduce((s, p) => s + p[0], 0) / points.length;
  const y = points.reduce((s, p) => s + p[1], 0) / points.length;
  const mean = points.reduce((s, p) => s + Math.hypot(p[0] - x, p[1] - y), 0) /
    points.length;
  return { x, y, s: Math.SQRT2 / mean };
}

/** Solves the augmented n x (n + 1) system by Gaussian elimination with partial pivoting. */
function solveLinear(m: number[][]): number[] | undefined {
  const n = m.length;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    }
    if (!(Math.abs(m[pivot][c]) > 1e-12)) return undefined;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, r) => row[n] / row[r]);
}

function mul(p: number[], q: number[]): number[] {
  return Array.from({ length: 9 }, (_, i) => {
    const [r, c] = [Math.floor(i / 3), i % 3];
    return p[3 * r] * q[c] + p[3 * r + 1] * q[3 + c] + p[3 * r + 2] * q[6 + c];
  });
}

function unit(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}
