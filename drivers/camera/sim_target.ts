/**
 * The calibration target as `sim.camera` sees it in `target` mode: the board
 * (calibration/board.ts) held at a cycle of known poses in front of a camera
 * with known intrinsics and `plumb_bob` distortion, rendered by mapping each
 * output pixel back through the distortion model (a per-pixel map computed
 * once) and the homography of the board plane, sampling a grey board
 * texture bilinearly (which also anti-aliases the edges).
 *
 * @module
 */
import { z } from "zod";
import {
  BoardDefinition,
  boardIds,
  boardSize,
  markerCorners,
  markerModules,
} from "../../calibration/board.ts";
import {
  applyRigid,
  matFromQuat,
  quatFromRpy,
  type Rigid,
  type Vec3,
} from "../../calibration/geometry.ts";
import { undistort } from "../../calibration/pinhole.ts";
import type { CameraCalibration } from "../../core/registries/entries.ts";

const WHITE = 235;
const BLACK = 25;
const BACKGROUND = 110;
const TEXELS_PER_MODULE = 8;

const finite = z.number().refine(Number.isFinite, "must be finite");

/** One pose of the board: its centre in the camera frame (m) and its roll/pitch/yaw from facing the camera (degrees, intrinsic Z-Y-X). */
export const TargetPose = z.strictObject({
  translation: z.tuple([finite, finite, finite.positive()]),
  rpy_deg: z.tuple([finite, finite, finite]).default([0, 0, 0]),
});
/** One pose of the board. */
export type TargetPose = z.output<typeof TargetPose>;

/** The `target` settings of `sim.camera`. */
export const TargetConfig = z.strictObject({
  board: BoardDefinition.default(BoardDefinition.parse({})),
  poses: z.array(TargetPose).min(1).optional(),
  pose_s: z.number().positive().default(1),
  intrinsics: z.strictObject({
    fx: finite.positive(),
    fy: finite.positive(),
    cx: finite,
    cy: finite,
  }).optional(),
  distortion: z.array(finite).max(5).default([-0.12, 0.04, 0.001, -0.0007, 0]),
  publish_truth: z.boolean().default(false),
});
/** The `target` settings of `sim.camera`. */
export type TargetConfig = z.output<typeof TargetConfig>;

/** Tilts (roll, pitch degrees) and image placements of the default pose cycle. */
const DEFAULT_VIEWS: [number, number, number, number][] = [
  [0, 0, 0, 0],
  [28, 0, 0, -0.18],
  [-28, 0, 0, 0.18],
  [0, 28, -0.22, 0],
  [0, -28, 0.22, 0],
  [22, 22, -0.2, -0.15],
  [-22, 22, -0.2, 0.15],
  [22, -22, 0.2, -0.15],
  [-22, -22, 0.2, 0.15],
  [12, -30, 0.28, 0.22],
  [-30, 12, -0.26, 0.2],
  [30, 30, 0.05, 0.05],
];

/**
 * The default pose cycle: the board at a distance where it spans about half
 * the image width, tilted up to 30 degrees and moved towards the corners.
 */
export function defaultPoses(
  board: BoardDefinition,
  k: CameraCalibration,
  width: number,
  height: number,
): TargetPose[] {
  const [w] = boardSize(board);
  const distance = k.fx * w / (0.5 * width);
  return DEFAULT_VIEWS.map(([roll, pitch, ox, oy], i) => {
    const yaw = (i % 3 - 1) * 8;
    const scale = 1 + 0.15 * ((i % 4) - 1.5) / 1.5;
    const z = distance * scale;
    return {
      translation: [
        ox * width * z / k.fx,
        oy * height * z / k.fy,
        z,
      ],
      rpy_deg: [roll, pitch, yaw],
    };
  });
}

/** The board → camera transform of a pose (the pose names the board's centre). */
export function boardToCamera(board: BoardDefinition, pose: TargetPose): Rigid {
  const [w, h] = boardSize(board);
  const rad = pose.rpy_deg.map((d) => d * Math.PI / 180) as Vec3;
  const rotation = quatFromRpy(...rad);
  const centre = applyRigid(
    { translation: [0, 0, 0], rotation },
    [w / 2, h / 2, 0],
  );
  return {
    translation: [
      pose.translation[0] - centre[0],
      pose.translation[1] - centre[1],
      pose.translation[2] - centre[2],
    ],
    rotation,
  };
}

/** The board seen by one simulated camera, rendered per pose. */
export class TargetScene {
  /** Board → camera transform of each pose of the cycle. */
  readonly poses: Rigid[];
  readonly #width: number;
  readonly #height: number;
  readonly #rays: Float32Array;
  readonly #texture: { width: number; height: number; data: Uint8Array };
  readonly #texelsPerMeter: number;
  readonly #margin: number;

  /** A scene of `board` at `poses` before a `width` x `height` camera with calibration `k`. */
  constructor(
    width: number,
    height: number,
    k: CameraCalibration,
    board: BoardDefinition,
    poses: TargetPose[],
  ) {
    this.#width = width;
    this.#height = height;
    this.poses = poses.map((p) => boardToCamera(board, p));
    const distortion = k.distortion_coefficients ?? [];
    this.#rays = new Float32Array(2 * width * height);
    for (let v = 0, i = 0; v < height; v++) {
      for (let u = 0; u < width; u++, i += 2) {
        const [x, y] = undistort(
          (u - k.cx) / k.fx,
          (v - k.cy) / k.fy,
          distortion,
        );
        this.#rays[i] = x;
        this.#rays[i + 1] = y;
      }
    }
    this.#margin = board.marker_gap_m;
    const { modules } = markerModules(board, board.first_id);
    this.#texelsPerMeter = TEXELS_PER_MODULE * modules / board.marker_size_m;
    this.#texture = boardTexture(board, this.#texelsPerMeter, this.#margin);
  }

  /** Writes the rgb8 image of pose `pose` (an index into {@link poses}) into `image`. */
  renderInto(image: Uint8Array, pose: number): void {
    const { translation: t, rotation } = this.poses[pose];
    const r = matFromQuat(rotation);
    // Normalized image point ~ [r1 r2 t] [X Y 1]^T; invert that homography.
    const m = [r[0], r[1], t[0], r[3], r[4], t[1], r[6], r[7], t[2]];
    const inv = invert3(m);
    const tex = this.#texture;
    const scale = this.#texelsPerMeter;
    const offset = this.#margin * scale - 0.5;
    const rays = this.#rays;
    const n = this.#width * this.#height;
    for (let i = 0; i < n; i++) {
      const x = rays[2 * i];
      const y = rays[2 * i + 1];
      const w = inv[6] * x + inv[7] * y + inv[8];
      let grey = BACKGROUND;
      if (w > 0) {
        const tx = (inv[0] * x + inv[1] * y + inv[2]) / w * scale + offset;
        const ty = (inv[3] * x + inv[4] * y + inv[5]) / w * scale + offset;
        grey = sample(tex, tx, ty);
      }
      image[3 * i] = grey;
      image[3 * i + 1] = grey;
      image[3 * i + 2] = grey;
    }
  }
}

/**
 * A grey texture of the board with a white margin, `texelsPerMeter`
 * resolution: each texel is shaded by the exact fraction of it that black
 * modules cover, so edges keep their true sub-texel positions.
 */
function boardTexture(
  board: BoardDefinition,
  texelsPerMeter: number,
  margin: number,
): { width: number; height: number; data: Uint8Array } {
  const [w, h] = boardSize(board);
  const width = Math.ceil((w + 2 * margin) * texelsPerMeter);
  const height = Math.ceil((h + 2 * margin) * texelsPerMeter);
  const cover = new Float32Array(width * height);
  for (const id of boardIds(board)) {
    const [[x0, y0]] = markerCorners(board, id)!;
    const { modules, black } = markerModules(board, id);
    const cell = board.marker_size_m / modules * texelsPerMeter;
    const left = (x0 + margin) * texelsPerMeter;
    const top = (y0 + margin) * texelsPerMeter;
    black.forEach((isBlack, i) => {
      if (!isBlack) return;
      const mx = left + (i % modules) * cell;
      const my = top + Math.floor(i / modules) * cell;
      for (let ty = Math.floor(my); ty < my + cell; ty++) {
        const wy = Math.min(ty + 1, my + cell) - Math.max(ty, my);
        for (let tx = Math.floor(mx); tx < mx + cell; tx++) {
          const wx = Math.min(tx + 1, mx + cell) - Math.max(tx, mx);
          cover[ty * width + tx] += wx * wy;
        }
      }
    });
  }
  const data = new Uint8Array(width * height);
  cover.forEach((c, i) => {
    data[i] = Math.round(WHITE - (WHITE - BLACK) * Math.min(1, c));
  });
  return { width, height, data };
}

/** Bilinear sample of the texture at texel coordinates, background outside. */
function sample(
  tex: { width: number; height: number; data: Uint8Array },
  x: number,
  y: number,
): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 < 0 || y0 < 0 || x0 + 1 >= tex.width || y0 + 1 >= tex.height) {
    return BACKGROUND;
  }
  const fx = x - x0;
  const fy = y - y0;
  const i = y0 * tex.width + x0;
  const d = tex.data;
  const top = d[i] + (d[i + 1] - d[i]) * fx;
  const bottom = d[i + tex.width] + (d[i + tex.width + 1] - d[i + tex.width]) *
      fx;
  return Math.round(top + (bottom - top) * fy);
}

/** The inverse of a row-major 3x3 matrix. */
function invert3(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}
