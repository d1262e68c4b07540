/**
 * The payloads of `sim.camera`: CameraFrame messages of the moving test
 * pattern or of the calibration target, computed from plain settings so
 * that they can be rendered on a worker thread.
 *
 * @module
 */
import { allocateCameraFrame } from "./frame_payload.ts";
import type { CameraCalibration } from "../../core/registries/entries.ts";
import { defaultPoses, type TargetConfig, TargetScene } from "./sim_target.ts";
import { TestPattern } from "./test_pattern.ts";

/** What a simulated camera's frames depend on (plain data). */
export interface SimFrameSettings {
  /** Image width, pixels. */
  width: number;
  /** Image height, pixels. */
  height: number;
  /** Seed of the test pattern. */
  seed: number;
  /** Frame rate, Hz (the target holds each pose for a number of frames). */
  rateHz: number;
  /** Show the calibration target through this true camera model instead. */
  target?: { truth: CameraCalibration; config: TargetConfig };
}

/** The CameraFrame payload of each frame index. */
export function simFrames(
  settings: SimFrameSettings,
): (index: number) => Uint8Array {
  const { width, height, seed, target } = settings;
  return target === undefined
    ? testPatternFrames(width, height, seed)
    : targetFrames(width, height, target.truth, target.config, settings.rateHz);
}

/** Frame `index` of the moving test pattern. */
function testPatternFrames(
  width: number,
  height: number,
  seed: number,
): (index: number) => Uint8Array {
  const pattern = new TestPattern(width, height, seed);
  return (index) => {
    const { payload, image } = allocateCameraFrame(pattern.frameBytes);
    pattern.renderInto(image, index);
    return payload;
  };
}

/**
 * Frame `index` of the calibration target: each pose of the cycle is held
 * for `pose_s` seconds, rendered once when it comes up.
 */
function targetFrames(
  width: number,
  height: number,
  truth: CameraCalibration,
  target: TargetConfig,
  rateHz: number,
): (index: number) => Uint8Array {
  const poses = target.poses ??
    defaultPoses(target.board, truth, width, height);
  const scene = new TargetScene(width, height, truth, target.board, poses);
  const image = new Uint8Array(width * height * 3);
  let rendered = -1;
  return (index) => {
    const pose = Math.floor(index / (target.pose_s * rateHz)) % poses.length;
    if (pose !== rendered) {
      scene.renderInto(image, pose);
      rendered = pose;
    }
    const frame = allocateCameraFrame(image.byteLength);
    frame.image.set(image);
    return frame.payload;
  };
}
