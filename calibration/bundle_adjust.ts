/**
 * Levenberg-Marquardt refinement of a camera's intrinsics, distortion and
 * every view's board pose for any model of `pinhole.ts` (opencv-js has no
 * `cv.fisheye`, so the equidistant model is solved here), with the
 * parameters' covariance `σ² (JᵀJ)⁻¹` (σ² from the residuals) for honest
 * uncertainties. Derivatives are numerical; the normal equations exploit
 * that a pose only moves its own view's corners.
 *
 * @module
 */
import { matFromRodrigues, type Vec3 } from "./geometry.ts";
import { distort } from "./pinhole.ts";

/** One view's correspondences. */
export interface PointSet {
  /** Board points, meters. */
  objectPoints: Vec3[];
  /** Their pixels. */
  imagePoints: [number, number][];
}

/** Intrinsics, distortion and poses (Rodrigues rotation and translation, board → camera). */
export interface CameraParameters {
  /** Focal length along x, pixels. */
  fx: number;
  /** Focal length along y, pixels. */
  fy: number;
  /** Principal point x, pixels. */
  cx: number;
  /** Principal point y, pixels. */
  cy: number;
  /** Distortion coefficients of the model. */
  distortion: number[];
  /** Each view's board pose: rotation vector and translation. */
  poses: { rvec: Vec3; tvec: Vec3 }[];
}

/** What stays fixed in {@link bundleAdjust}. */
export interface BundleFixed {
  /** fy / fx stays as given. */
  aspect?: boolean;
  /** cx, cy stay as given. */
  principalPoint?: boolean;
  /** Indices of distortion coefficients that stay as given. */
  distortion?: number[];
}

/** The refined parameters with their fit and uncertainty. */
export interface BundleResult extends CameraParameters {
  /** RMS reprojection error over every corner, pixels. */
  rmsPx: number;
  /** Standard deviations of fx, fy, cx, cy (zero when fixed, NaN when singular), pixels. */
  stdDevPx: { fx: number; fy: number; cx: number; cy: number };
  /** Whether JᵀJ was singular (the views do not determine the parameters). */
  singular: boolean;
}

/** The pixels of `set`'s board points through `params` and view pose `pose`. */
export function projectSet(
  model: string,
  k: { fx: number; fy: number; cx: number; cy: number; distortion: number[] },
  pose: { rvec: Vec3; tvec: Vec3 },
  objectPoints: readonly Vec3[],
): [number, number][] {
  const m = matFromRodrigues(pose.rvec);
  const t = pose.tvec;
  return objectPoints.map(([x, y, z]) => {
    const px = m[0] * x + m[1] * y + m[2] * z + t[0];
    const py = m[3] * x + m[4] * y + m[5] * z + t[1];
    const pz = m[6] * x + m[7] * y + m[8] * z + t[2];
    const [u, v] = distort(px / pz, py / pz, k.distortion, model);
    return [k.fx * u + k.cx, k.fy * v + k.cy];
  });
}

/** Refines `initial` over `sets` for `model`; `fixed` parameters keep their initial values. */
export function bundleAdjust(
  model: string,
  sets: PointSet[],
  initial: CameraParameters,
  fixed: BundleFixed = {},
): BundleResult {
  const nd = initial.distortion.length;
  const aspect = initial.fy / initial.fx;
  // Global parameters: fx, fy, cx, cy, distortion; then 6 per view.
  const globalFree = [0];
  if (!fixed.aspect) globalFree.push(1);
  if (!fixed.principalPoint) globalFree.push(2, 3);
  for (let i = 0; i < nd; i++) {
    if (!fixed.distortion?.includes(i)) globalFree.push(4 + i);
  }
  const ng = 4 + nd;
  const pack = (p: CameraParameters) => [
    p.fx,
    p.fy,
    p.cx,
    p.cy,
    ...p.distortion,
    ...p.poses.flatMap((q) => [...q.rvec, ...q.tvec]),
  ];
  const intrinsics = (p: number[]) => ({
    fx: p[0],
    fy: fixed.aspect ? p[0] * aspect : p[1],
    cx: p[2],
    cy: p[3],
    distortion: p.slice(4, ng),
  });
  const poseOf = (p: number[], v: number) => ({
    rvec: p.slice(ng + 6 * v, ng + 6 * v + 3) as Vec3,
    tvec: p.slice(ng + 6 * v + 3, ng + 6 * v + 6) as Vec3,
  });
  const residuals = (p: number[], v: number) => {
    const projected = projectSet(
      model,
      intrinsics(p),
      poseOf(p, v),
      sets[v].objectPoints,
    );
    return projected.flatMap(([u, w], i) => [
      u - sets[v].imagePoints[i][0],
      w - sets[v].imagePoints[i][1],
    ]);
  };
  const cost = (p: number[]) =>
    sets.reduce(
      (sum, _, v) => sum + residuals(p, v).reduce((s, r) => s + r * r, 0),
      0,
    );
  // Free parameter index of each full index.
  const free = [
    ...globalFree,
    ...sets.flatMap((_, v) => [0, 1, 2, 3, 4, 5].map((j) => ng + 6 * v + j)),
  ];
  const n = free.length;
  const column = new Map(free.map((full, i) => [full, i]));

  const normalEquations = (p: number[]) => {
    const a = new Float64Array(n * n);
    const g = new Float64Array(n);
    for (let v = 0; v < sets.length; v++) {
      const r = residuals(p, v);
      const local = [
        ...globalFree,
        ...[0, 1, 2, 3, 4, 5].map((j) => ng + 6 * v + j),
      ];
      const jac = local.map((full) => {
        const step = 1e-6 * Math.max(1, Math.abs(p[full]));
        const q = p.slice();
        q[full] += step;
        return residuals(q, v).map((value, i) => (value - r[i]) / step);
      });
      const cols = local.map((full) => column.get(full)!);
      for (let x = 0; x < local.length; x++) {
        const jx = jac[x];
        let gx = 0;
        for (let i = 0; i < r.length; i++) gx += jx[i] * r[i];
        g[cols[x]] += gx;
        for (let y = 0; y <= x; y++) {
          const jy = jac[y];
          let s = 0;
          for (let i = 0; i < r.length; i++) s += jx[i] * jy[i];
          a[cols[x] * n + cols[y]] += s;
          if (x !== y) a[cols[y] * n + cols[x]] += s;
        }
      }
    }
    return { a, g };
  };

  let p = pack(initial);
  let current = cost(p);
  let lambda = 1e-3;
  for (let iteration = 0; iteration < 50; iteration++) {
    const { a, g } = normalEquations(p);
    let improved = false;
    while (lambda < 1e10) {
      const damped = a.slice();
      for (let i = 0; i < n; i++) {
        damped[i * n + i] += lambda * Math.max(a[i * n + i], 1e-12);
      }
      const step = choleskySolve(damped, n, g.map((v) => -v));
      if (step === undefined) {
        lambda *= 10;
        continue;
      }
      const q = p.slice();
      free.forEach((full, i) => (q[full] += step[i]));
      const next = cost(q);
      if (next < current) {
        const relative = (current - next) / current;
        p = q;
        current = next;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = relative > 1e-10;
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }

  const corners = sets.reduce((s, set) => s + set.objectPoints.length, 0);
  const { a } = normalEquations(p);
  const inverse = choleskyInverse(a, n);
  const sigma2 = current / Math.max(1, 2 * corners - n);
  const std = (full: number) => {
    const i = column.get(full);
    if (i === undefined) return 0;
    return inverse === undefined ? NaN : Math.sqrt(inverse[i * n + i] * sigma2);
  };
  const k = intrinsics(p);
  return {
    ...k,
    poses: sets.map((_, v) => poseOf(p, v)),
    rmsPx: Math.sqrt(current / corners),
    stdDevPx: {
      fx: std(0),
      fy: fixed.aspect ? std(0) * aspect : std(1),
      cx: std(2),
      cy: std(3),
    },
    singular: inverse === undefined,
  };
}

/** The lower Cholesky factor of symmetric `a` (n x n), or `undefined` unless positive definite. */
function cholesky(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 1e-12 * Math.abs(a[i * n + i]))) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j];
      }
    }
  }
  return l;
}

/** Solves `a x = b` for symmetric positive definite `a`. */
function choleskySolve(
  a: Float64Array,
  n: number,
  b: Float64Array,
): Float64Array | undefined {
  const l = cholesky(a, n);
  if (l === undefined) return undefined;
  return substitute(l, n, b);
}

/** Solves `L Lᵀ x = b` by forward and back substitution. */
function substitute(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** The inverse of symmetric positive definite `a`, or `undefined` when singular. */
function choleskyInverse(a: Float64Array, n: number): Float64Array | undefined {
  const l = cholesky(a, n);
  if (l === undefined) return undefined;
  const inverse = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = 1;
    inverse.set(substitute(l, n, e), j * n);
  }
  return inverse;
}
