/**
 * `sim.uwb`: a simulated UWB tag ranging to fixed anchors (payload kind
 * `auki_edge.rf.uwb`, message `auki_edge.rf.UwbFrame`, spec README decision 6).
 *
 * The sensor frame (default `uwb_area`, ros_body axes: x forward, y left,
 * z up, meters) is the room the anchors are surveyed in, not the tag's body:
 * anchor coordinates and the tag's position estimate are both in it. The tag
 * moves on a Lissajous path at 1 m height inside an 8 m x 6 m room; each cycle
 * reports one range per anchor (true distance plus seeded gaussian noise of
 * {@link RANGE_NOISE_M}) and a position estimate (true position plus
 * {@link POSITION_NOISE_M} noise per axis).
 *
 * @module
 */
import { z } from "zod";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  type UwbFrame,
  UwbFrameSchema,
} from "../../core/proto/gen/auki_edge/rf_pb.ts";
import { FRAME_PRESETS, RegistryId } from "../../core/registries/entries.ts";
import type { DriverFactory } from "../driver.ts";
import { RateHz, Seed } from "../sim/config.ts";
import { seededRandom } from "../sim/random.ts";
import { tickingDriver } from "../sim/ticking_driver.ts";

/** Standard deviation of each range's noise, meters. */
export const RANGE_NOISE_M = 0.05;
/** Standard deviation of the position estimate's noise per axis, meters. */
export const POSITION_NOISE_M = 0.03;

/** A point in the UWB area frame, meters. */
export interface Point3 {
  /** Meters along x. */
  x: number;
  /** Meters along y. */
  y: number;
  /** Meters along z (up). */
  z: number;
}

/** A UWB anchor at a surveyed position. */
export interface Anchor extends Point3 {
  /** The anchor's node id as the device reports it. */
  id: string;
}

/** The default anchors: the corners of an 8 m x 6 m room, 2.5 m up. */
export const DEFAULT_ANCHORS: readonly Anchor[] = [
  { id: "0x1A01", x: 0, y: 0, z: 2.5 },
  { id: "0x1A02", x: 8, y: 0, z: 2.5 },
  { id: "0x1A03", x: 8, y: 6, z: 2.5 },
  { id: "0x1A04", x: 0, y: 6, z: 2.5 },
];

/** The tag's true position at time `t` seconds: a Lissajous path at 1 m height. */
export function tagPosition(t: number): Point3 {
  return {
    x: 4 + 3 * Math.sin(2 * Math.PI * t / 40),
    y: 3 + 2 * Math.sin(2 * Math.PI * t / 25 + 1),
    z: 1,
  };
}

/** The true distance between two points, meters. */
export function distance(a: Point3, b: Point3): number {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

/** Ranging cycle number `index` at `rateHz`, noise seeded by `seed`. */
export function simulateUwb(
  seed: number,
  anchors: readonly Anchor[],
  index: number,
  rateHz: number,
): UwbFrame {
  const random = seededRandom(seed, index);
  const tag = tagPosition(index / rateHz);
  const ranges = anchors.map((anchor) => {
    const trueRange = distance(tag, anchor);
    return {
      anchorId: anchor.id,
      distanceM: Math.max(0, trueRange + random.gaussian(RANGE_NOISE_M)),
      quality: quality(trueRange, random.gaussian(2)),
      anchorPosition: { x: anchor.x, y: anchor.y, z: anchor.z, quality: 100 },
    };
  });
  return create(UwbFrameSchema, {
    ranges,
    position: {
      x: tag.x + random.gaussian(POSITION_NOISE_M),
      y: tag.y + random.gaussian(POSITION_NOISE_M),
      z: tag.z + random.gaussian(POSITION_NOISE_M),
      quality: Math.round(
        ranges.reduce((sum, r) => sum + r.quality, 0) / ranges.length,
      ),
    },
  });
}

/** A 0-100 quality factor falling with distance, jittered by `jitter`. */
function quality(range: number, jitter: number): number {
  return Math.min(100, Math.max(0, Math.round(100 - 4 * range + jitter)));
}

const AnchorConfig = z.strictObject({
  id: z.string().min(1, "must not be empty"),
  x: z.number(),
  y: z.number(),
  z: z.number(),
});

const Config = z.strictObject({
  id: RegistryId.default("sim_uwb"),
  frame_id: RegistryId.default("uwb_area"),
  rate_hz: RateHz.default(10),
  seed: Seed.default(1),
  anchors: z.array(AnchorConfig)
    .min(1, "must list at least one anchor")
    .refine(
      (anchors) => new Set(anchors.map((a) => a.id)).size === anchors.length,
      "anchor ids must be unique",
    )
    .default(() => DEFAULT_ANCHORS.map((a) => ({ ...a }))),
});

/** The `sim.uwb` driver: a UWB tag ranging to fixed anchors. */
export const simUwb: DriverFactory<typeof Config> = {
  name: "sim.uwb",
  summary:
    "simulated UWB tag (ranges to fixed anchors and a position estimate)",
  config: Config,
  create(config) {
    return tickingDriver({
      sensor: { sensor_id: config.id, kind: "rf", type: "uwb" },
      frame: {
        frame_id: config.frame_id,
        ...FRAME_PRESETS.ros_body,
        units: "meters",
      },
      payload: "auki_edge.rf.uwb",
      rateHz: config.rate_hz,
    }, (index) =>
      toBinary(
        UwbFrameSchema,
        simulateUwb(config.seed, config.anchors, index, config.rate_hz),
      ));
  },
};
