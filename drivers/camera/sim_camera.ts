/**
 * `sim.camera`: a simulated RGB camera publishing raw `rgb8` frames of a
 * moving test pattern (`test_pattern.ts`; spec datatypes.md 2.1, payload kind
 * `camera_frame`), or, with `target` settings, of the calibration board seen
 * through known intrinsics and distortion (`sim_target.ts`); its registry
 * entry then has no calibration unless `target.publish_truth` asks for the
 * ground truth. Frames are rendered on a worker thread (`sim_worker.ts`).
 *
 * @module
 */
import { z } from "zod";

import {
  CameraCalibration,
  FRAME_PRESETS,
  RegistryId,
} from "../../core/registries/entries.ts";
import { pinholeCalibration } from "../../calibration/pinhole.ts";
import { TargetConfig } from "./sim_target.ts";
import type { DriverFactory } from "../driver.ts";
import { RateHz, Seed } from "../sim/config.ts";
import { tickingDriver } from "../sim/ticking_driver.ts";
import { SimRenderer } from "./sim_renderer.ts";

const Config = z.strictObject({
  id: RegistryId.default("sim_camera"),
  frame_id: RegistryId.optional(),
  width: z.number().int("must be a whole number of pixels")
    .min(16, "must be at least 16 pixels")
    .max(7680, "must be at most 7680 pixels").default(640),
  height: z.number().int("must be a whole number of pixels")
    .min(16, "must be at least 16 pixels")
    .max(4320, "must be at most 4320 pixels").default(480),
  rate_hz: RateHz.default(15),
  hfov_deg: z.number()
    .gt(0, "must be greater than 0 degrees")
    .lt(180, "must be less than 180 degrees").default(90),
  seed: Seed.default(1),
  target: TargetConfig.optional(),
});

/** The `sim.camera` driver: a raw rgb8 pinhole camera showing a moving test pattern, or the calibration target. */
export const simCamera: DriverFactory<typeof Config> = {
  name: "sim.camera",
  summary: "simulated RGB camera (raw rgb8 moving test pattern)",
  config: Config,
  // Raw frames are large (640x480 at 15 Hz is 13.8 MB/s): keep 10 s.
  defaultRetentionS: 10,
  create(config) {
    const { width, height, seed, target } = config;
    const pinhole = pinholeCalibration(width, height, config.hfov_deg);
    const truth = target && {
      ...(target.intrinsics ?? pinhole),
      distortion_coefficients: target.distortion,
    };
    return tickingDriver(
      {
        sensor: {
          sensor_id: config.id,
          kind: "camera",
          type: "rgb",
          width,
          height,
          frame_rate_hz: Math.round(config.rate_hz),
          image_encoding: "raw",
          pixel_format: "rgb8",
          row_stride_bytes: width * 3,
          // The calibration target is rendered in linear light, unencoded.
          color_space: target === undefined ? "srgb" : "linear",
          intrinsics_model: "pinhole",
          distortion_model: "plumb_bob",
          ...(truth === undefined
            ? { calibration: pinhole }
            : target!.publish_truth
            ? { calibration: CameraCalibration.parse(truth) }
            : {}),
        },
        frame: {
          frame_id: config.frame_id ?? `${config.id}_optical`,
          ...FRAME_PRESETS.ros_optical,
          units: "meters",
        },
        payload: "camera_frame",
        rateHz: config.rate_hz,
      },
      new SimRenderer({
        width,
        height,
        seed,
        rateHz: config.rate_hz,
        target: truth && { truth, config: target! },
      }),
    );
  },
};
