/**
 * ROS `camera_info` YAML, as `camera_calibration` and
 * `camera_calibration_parsers` write it: image size, camera name, the 3x3
 * camera matrix, the distortion model and coefficients, the rectification
 * (identity for a monocular camera) and the 3x4 projection matrix.
 *
 * @module
 */
import { parse, stringify } from "yaml";
import { z } from "zod";
import type { CameraCalibration } from "../core/registries/entries.ts";
import { DISTORTION_MODELS, type DistortionModel } from "./pinhole.ts";

/** A camera calibration as camera_info carries it. */
export interface CameraInfo {
  /** Camera name. */
  name: string;
  /** Image width, pixels. */
  width: number;
  /** Image height, pixels. */
  height: number;
  /** The distortion model. */
  distortionModel: DistortionModel;
  /** Intrinsics and distortion coefficients. */
  calibration: CameraCalibration & { distortion_coefficients: number[] };
}

const finite = z.number().refine(Number.isFinite, "must be a finite number");
const matrix = (rows: number, cols: number | undefined) =>
  z.object({
    rows: z.literal(rows),
    cols: cols === undefined ? z.number().int().positive() : z.literal(cols),
    data: z.array(finite),
  }).refine(
    (m) => m.data.length === m.rows * m.cols,
    "data must hold rows x cols numbers",
  );

const CameraInfoYaml = z.object({
  image_width: z.number().int().positive(),
  image_height: z.number().int().positive(),
  camera_name: z.string().default(""),
  camera_matrix: matrix(3, 3),
  distortion_model: z.enum(DISTORTION_MODELS),
  distortion_coefficients: matrix(1, undefined),
});

/** The camera_info YAML text of `info`. */
export function cameraInfoYaml(info: CameraInfo): string {
  const { fx, fy, cx, cy, distortion_coefficients: d } = info.calibration;
  return stringify({
    image_width: info.width,
    image_height: info.height,
    camera_name: info.name,
    camera_matrix: { rows: 3, cols: 3, data: [fx, 0, cx, 0, fy, cy, 0, 0, 1] },
    distortion_model: info.distortionModel,
    distortion_coefficients: { rows: 1, cols: d.length, data: d },
    rectification_matrix: {
      rows: 3,
      cols: 3,
      data: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    },
    projection_matrix: {
      rows: 3,
      cols: 4,
      data: [fx, 0, cx, 0, 0, fy, cy, 0, 0, 0, 1, 0],
    },
  }, { flowCollectionPadding: false, collectionStyle: "block" })
    // ROS writes the matrices' data as flow sequences.
    .replace(
      /data:\n((?:\s+- .*\n)+)/g,
      (_, items: string) =>
        `data: [${
          items.trim().split("\n").map((l) => l.trim().slice(2)).join(", ")
        }]\n`,
    );
}

/** The calibration in camera_info YAML `text`; throws naming the bad key. */
export function parseCameraInfoYaml(text: string): CameraInfo {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new Error(
      `not YAML: ${
        error instanceof Error ? error.message.split("\n")[0] : error
      }`,
    );
  }
  const parsed = CameraInfoYaml.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue.path.join(".") || "document"}: ${issue.message}`);
  }
  const info = parsed.data;
  const k = info.camera_matrix.data;
  return {
    name: info.camera_name,
    width: info.image_width,
    height: info.image_height,
    distortionModel: info.distortion_model,
    calibration: {
      fx: k[0],
      fy: k[4],
      cx: k[2],
      cy: k[5],
      distortion_coefficients: info.distortion_coefficients.data,
    },
  };
}
