/**
 * An independent renderer of the calibration board for accuracy tests (it
 * shares no code with the simulated camera): the board is ray-traced through
 * a known lens with 4x4 supersampling, lit unevenly, blurred in linear light
 * (Gaussian), encoded with a 2.2 gamma and given sensor noise, as an
 * ordinary camera delivers it. Poses cover the image with tilts up to 45°
 * and include views cut by the image border.
 *
 * @module
 */
import {
  boardIds,
  boardSize,
  markerCorners,
  markerModules,
} from "../../calibration/board.ts";
import type { BoardDefinition } from "../../calibration/board.ts";
import type { BoardView } from "../../calibration/detect.ts";
import {
  applyRigid,
  matFromQuat,
  mulMatVec,
  quatFromRpy,
  type Rigid,
  type Vec3,
} from "../../calibration/geometry.ts";
import type { GreyImage } from "../../core/image.ts";
import { projectPoint } from "../../calibration/pinhole.ts";
import type { CameraCalibration } from "../../core/registries/entries.ts";

/** A true lens: pinhole intrinsics and `plumb_bob` `[k1, k2, p1, p2, k3]` or `equidistant` `[k1, k2, k3, k4]` distortion. */
export interface TrueLens {
  /** Name for reports. */
  name: string;
  /** Focal length along x, pixels. */
  fx: number;
  /** Focal length along y, pixels. */
  fy: number;
  /** Principal point x, pixels. */
  cx: number;
  /** Principal point y, pixels. */
  cy: number;
  /** Distortion model of the truth. */
  model: "plumb_bob" | "equidistant";
  /** Its coefficients. */
  distortion: number[];
}

/** An ordinary lens (mild barrel distortion) at 1280x720. */
export const ORDINARY_LENS: TrueLens = {
  name: "ordinary",
  fx: 700,
  fy: 705,
  cx: 652.5,
  cy: 355.25,
  model: "plumb_bob",
  distortion: [-0.12, 0.04, 0.001, -0.0007, 0],
};

/** A wide-angle lens (k1 = -0.3) at 1280x720. */
export const WIDE_LENS: TrueLens = {
  name: "wide",
  fx: 560,
  fy: 562,
  cx: 641.5,
  cy: 362.5,
  model: "plumb_bob",
  distortion: [-0.3, 0.085, 0.0008, -0.0005, -0.004],
};

/** A fisheye (equidistant) lens at 1280x720. */
export const FISHEYE_LENS: TrueLens = {
  name: "fisheye",
  fx: 500,
  fy: 501,
  cx: 638.5,
  cy: 358,
  model: "equidistant",
  distortion: [0.05, -0.02, 0.004, -0.0005],
};

/** Distorted normalized coordinates of the ray `(x, y, 1)` through `lens`. */
function distortTrue(
  lens: TrueLens,
  x: number,
  y: number,
): [number, number] {
  const d = lens.distortion;
  if (lens.model === "equidistant") {
    const r = Math.hypot(x, y);
    if (r < 1e-12) return [x, y];
    const t = Math.atan(r);
    const t2 = t * t;
    const td = t * (1 + t2 * (d[0] + t2 * (d[1] + t2 * (d[2] + t2 * d[3]))));
    return [x * td / r, y * td / r];
  }
  const [k1, k2, p1, p2, k3] = d;
  const r2 = x * x + y * y;
  const radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
  return [
    x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x),
    y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y,
  ];
}

/** The pixel of camera-frame point `p` through `lens`. */
function projectTrue(lens: TrueLens, p: Vec3): [number, number] {
  const [x, y] = distortTrue(lens, p[0] / p[2], p[1] / p[2]);
  return [lens.fx * x + lens.cx, lens.fy * y + lens.cy];
}

/** The ray `(x, y)` (with z = 1) whose image through `lens` is pixel `(u, v)` (Newton's method). */
export function rayOfPixel(
  lens: TrueLens,
  u: number,
  v: number,
): [number, number] {
  const xd = (u - lens.cx) / lens.fx;
  const yd = (v - lens.cy) / lens.fy;
  let x = xd;
  let y = yd;
  const h = 1e-7;
  for (let i = 0; i < 30; i++) {
    const [fx, fy] = distortTrue(lens, x, y);
    const ex = fx - xd;
    const ey = fy - yd;
    if (Math.abs(ex) + Math.abs(ey) < 1e-13) break;
    const [ax, ay] = distortTrue(lens, x + h, y);
    const [bx, by] = distortTrue(lens, x, y + h);
    const j11 = (ax - fx) / h;
    const j21 = (ay - fy) / h;
    const j12 = (bx - fx) / h;
    const j22 = (by - fy) / h;
    const det = j11 * j22 - j12 * j21;
    x -= (j22 * ex - j12 * ey) / det;
    y -= (j11 * ey - j21 * ex) / det;
  }
  return [x, y];
}

/** What a render looks like. */
export interface RenderOptions {
  /** Image width, pixels. */
  width: number;
  /** Image height, pixels. */
  height: number;
  /** Gaussian blur sigma in linear light, pixels (default 1). */
  blurPx?: number;
  /** Noise sigma, 8-bit grey levels (default 1.5). */
  noise?: number;
  /** Display gamma the image is encoded with (default 2.2; 1 renders linear light). */
  gamma?: number;
  /** Seed of the noise. */
  seed?: number;
}

/** White paper margin around the markers, in marker sizes. */
const PAPER_MARGIN = 0.6;
/** Reflectances of the paper, the ink and the background. */
const [PAPER, INK, BACKGROUND] = [0.85, 0.04, 0.25];

/** A board renderer for one lens and image size (the pixel rays are computed once). */
export class BoardRenderer {
  readonly #board: BoardDefinition;
  readonly #lens: TrueLens;
  readonly #options: Required<RenderOptions>;
  /** Rays through the pixel corners, `(width + 1) * (height + 1)` pairs. */
  readonly #rays: Float64Array;
  readonly #modules: Map<number, { modules: number; black: boolean[] }>;

  /** A renderer of `board` through `lens`. */
  constructor(board: BoardDefinition, lens: TrueLens, options: RenderOptions) {
    this.#board = board;
    this.#lens = lens;
    this.#options = {
      blurPx: 1,
      noise: 1.5,
      gamma: 2.2,
      seed: 1,
      ...options,
    };
    const { width, height } = this.#options;
    this.#rays = new Float64Array((width + 1) * (height + 1) * 2);
    for (let v = 0; v <= height; v++) {
      for (let u = 0; u <= width; u++) {
        const [x, y] = rayOfPixel(lens, u - 0.5, v - 0.5);
        const i = 2 * (v * (width + 1) + u);
        this.#rays[i] = x;
        this.#rays[i + 1] = y;
      }
    }
    this.#modules = new Map(
      boardIds(board).map((id) => [id, markerModules(board, id)]),
    );
  }

  /** The grey image of the board at `pose` (board → camera); `seed` varies the noise. */
  render(pose: Rigid, seed = 0): GreyImage {
    const { width, height, blurPx, noise, gamma } = this.#options;
    const m = matFromQuat(pose.rotation);
    const normal: Vec3 = [m[2], m[5], m[8]];
    const t = pose.translation;
    const nt = normal[0] * t[0] + normal[1] * t[1] + normal[2] * t[2];
    const w1 = width + 1;
    const r = this.#rays;
    const sample = (x: number, y: number) => {
      const s = nt / (normal[0] * x + normal[1] * y + normal[2]);
      if (!(s > 0)) return BACKGROUND;
      const px = s * x - t[0];
      const py = s * y - t[1];
      const pz = s - t[2];
      return this.#reflectance(
        m[0] * px + m[3] * py + m[6] * pz,
        m[1] * px + m[4] * py + m[7] * pz,
      );
    };
    // Pixel-corner samples first: a pixel whose corners agree is uniform.
    const corners = new Float64Array(w1 * (height + 1));
    for (let i = 0; i < corners.length; i++) {
      corners[i] = sample(r[2 * i], r[2 * i + 1]);
    }
    const linear = new Float64Array(width * height);
    const sub = 4;
    for (let v = 0; v < height; v++) {
      for (let u = 0; u < width; u++) {
        const a = v * w1 + u;
        const c = corners[a];
        let value = c;
        if (
          c !== corners[a + 1] || c !== corners[a + w1] ||
          c !== corners[a + w1 + 1]
        ) {
          const [ax, ay, bx, by] = [2 * a, 2 * a + 1, 2 * a + 2, 2 * a + 3];
          const [cx, cy] = [ax + 2 * w1, ay + 2 * w1];
          const [dx, dy] = [cx + 2, cy + 2];
          let sum = 0;
          for (let j = 0; j < sub; j++) {
            const fy = (j + 0.5) / sub;
            for (let i = 0; i < sub; i++) {
              const fx = (i + 0.5) / sub;
              sum += sample(
                (r[ax] * (1 - fx) + r[bx] * fx) * (1 - fy) +
                  (r[cx] * (1 - fx) + r[dx] * fx) * fy,
                (r[ay] * (1 - fx) + r[by] * fx) * (1 - fy) +
                  (r[cy] * (1 - fx) + r[dy] * fx) * fy,
              );
            }
          }
          value = sum / (sub * sub);
        }
        const light = 0.55 + 0.45 * Math.cos(1.7 * u / width - 0.4) *
            Math.cos(1.3 * v / height - 0.7);
        linear[v * width + u] = light * value;
      }
    }
    const blurred = blurPx > 0 ? gaussianBlur(linear, width, blurPx) : linear;
    const random = gaussianNoise(this.#options.seed * 7919 + seed);
    const data = new Uint8Array(width * height);
    for (let i = 0; i < data.length; i++) {
      const encoded = 255 * Math.pow(Math.max(0, blurred[i]), 1 / gamma);
      data[i] = Math.max(
        0,
        Math.min(255, Math.round(encoded + noise * random())),
      );
    }
    return { width, height, data };
  }

  /** Reflectance at board point `(x, y)`, meters. */
  #reflectance(x: number, y: number): number {
    const board = this.#board;
    const [w, h] = boardSize(board);
    const margin = PAPER_MARGIN * board.marker_size_m;
    if (x < -margin || y < -margin || x > w + margin || y > h + margin) {
      return BACKGROUND;
    }
    const pitch = board.marker_size_m + board.marker_gap_m;
    const mx = Math.floor(x / pitch);
    const my = Math.floor(y / pitch);
    if (mx < 0 || my < 0 || mx >= board.markers_x || my >= board.markers_y) {
      return PAPER;
    }
    const lx = x - mx * pitch;
    const ly = y - my * pitch;
    if (lx >= board.marker_size_m || ly >= board.marker_size_m) return PAPER;
    const { modules, black } = this.#modules.get(
      board.first_id + my * board.markers_x + mx,
    )!;
    const cell = board.marker_size_m / modules;
    const k = Math.floor(ly / cell) * modules + Math.floor(lx / cell);
    return black[k] ? INK : PAPER;
  }
}

/** A separable Gaussian blur of a `width`-wide image. */
function gaussianBlur(
  image: Float64Array,
  width: number,
  sigma: number,
): Float64Array {
  const height = image.length / width;
  const radius = Math.ceil(3 * sigma);
  const kernel = Array.from(
    { length: 2 * radius + 1 },
    (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)),
  );
  const total = kernel.reduce((a, b) => a + b, 0);
  const k = kernel.map((v) => v / total);
  const pass = (src: Float64Array, horizontal: boolean) => {
    const out = new Float64Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let i = -radius; i <= radius; i++) {
          const xx = horizontal ? Math.min(width - 1, Math.max(0, x + i)) : x;
          const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + i));
          sum += k[i + radius] * src[yy * width + xx];
        }
        out[y * width + x] = sum;
      }
    }
    return out;
  };
  return pass(pass(image, true), false);
}

/** A seeded standard normal generator (mulberry32 and Box-Muller). */
function gaussianNoise(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () =>
    Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * `count` board poses for a `width` x `height` image through `lens`: board
 * centres on a grid over the image (the outer ones partly outside it),
 * distances such that the board spans about 40% of the width, tilts up to
 * 45° towards every side.
 */
export function calibrationPoses(
  board: BoardDefinition,
  lens: TrueLens,
  width: number,
  height: number,
  count: number,
): Rigid[] {
  const [w, h] = boardSize(board);
  const centre: Vec3 = [w / 2, h / 2, 0];
  const poses: Rigid[] = [];
  const deg = Math.PI / 180;
  for (let i = 0; i < count; i++) {
    const gx = (i * 0.618034) % 1;
    const gy = (i * 0.754878) % 1;
    const u = width * (0.1 + 0.8 * gx);
    const v = height * (0.1 + 0.8 * gy);
    const tilt = 45 * ((i % 4) + 1) / 4;
    const direction = i * 137.5 * deg;
    const rotation = quatFromRpy(
      tilt * Math.sin(direction) * deg,
      tilt * Math.cos(direction) * deg,
      (i % 3 - 1) * 15 * deg,
    );
    const depth = (lens.fx * w / (0.4 * width)) *
      (0.85 + 0.3 * ((i * 0.37) % 1));
    const [x, y] = rayOfPixel(lens, u, v);
    const rotated = mulMatVec(matFromQuat(rotation), centre);
    poses.push({
      rotation,
      translation: [
        depth * x - rotated[0],
        depth * y - rotated[1],
        depth - rotated[2],
      ],
    });
  }
  return poses;
}

/** The true pixels of every board marker corner at `pose`. */
export function trueCorners(
  lens: TrueLens,
  pose: Rigid,
  objectPoints: readonly Vec3[],
): [number, number][] {
  return objectPoints.map((p) => projectTrue(lens, applyRigid(pose, p)));
}

/**
 * The view of `board` at `pose` through `lens` as a perfect detector would
 * report it: the true corners of every marker wholly inside the `width` x
 * `height` image, each moved by up to `jitterPx` (a fixed pseudo-random
 * pattern standing in for detection noise).
 */
export function trueView(
  board: BoardDefinition,
  lens: TrueLens,
  pose: Rigid,
  width: number,
  height: number,
  jitterPx = 0,
): BoardView {
  const view: BoardView = { ids: [], objectPoints: [], imagePoints: [] };
  for (const id of boardIds(board)) {
    const corners = markerCorners(board, id)!;
    const pixels = trueCorners(lens, pose, corners);
    if (pixels.every(([u, v]) => u >= 0 && v >= 0 && u < width && v < height)) {
      view.ids.push(id);
      view.objectPoints.push(...corners);
      view.imagePoints.push(
        ...pixels.map(([u, v], c): [number, number] => [
          u + jitterPx * Math.sin(7.1 * id + 2.3 * c),
          v + jitterPx * Math.cos(5.3 * id + 3.7 * c),
        ]),
      );
    }
  }
  return view;
}

/**
 * How far a recovered camera model is from the true lens: the RMS and
 * largest pixel distance, over `pixels`, between each true pixel and the
 * recovered model's projection of that pixel's true ray.
 */
export function modelError(
  lens: TrueLens,
  recovered: CameraCalibration,
  model: string,
  pixels: readonly [number, number][],
): { rmsPx: number; maxPx: number } {
  let sum = 0;
  let max = 0;
  for (const [u, v] of pixels) {
    const [x, y] = rayOfPixel(lens, u, v);
    const [pu, pv] = projectPoint(recovered, [x, y, 1], model)!;
    const e = Math.hypot(pu - u, pv - v);
    sum += e * e;
    max = Math.max(max, e);
  }
  return { rmsPx: Math.sqrt(sum / pixels.length), maxPx: max };
}

/** A grid of pixels over the whole `width` x `height` image, `step` apart. */
export function imageGrid(
  width: number,
  height: number,
  step: number,
): [number, number][] {
  const pixels: [number, number][] = [];
  for (let v = 0; v <= height - 1; v += step) {
    for (let u = 0; u <= width - 1; u += step) pixels.push([u, v]);
  }
  return pixels;
}
