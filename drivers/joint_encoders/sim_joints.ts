/**
 * `sim.joints`: a simulated bank of absolute joint encoders (spec
 * datatypes.md 2.4, payload kind `joint_encoders_frame`).
 *
 * Joint `j` follows a sum of {@link HARMONICS} sinusoids around an offset,
 * with amplitudes, frequencies and phases drawn from `seededRandom(seed, j)`,
 * evaluated at `index / rateHz` seconds: sample `k` depends only on the
 * seed, `k` and the rate, never on wall time. Each joint stays within its
 * own seed-drawn limit inside ±0.95π and never moves faster than
 * {@link MAX_SPEED_RAD_S}. Published angles are `direction * raw +
 * offset_rad` per joint (`directions`, `offsets_rad`; 1 and 0 by default),
 * as `serial.dynamixel` applies them; configured ones other than those are
 * shown in the entry as `joint_offsets_rad` / `joint_directions`.
 *
 * @module
 */
import { z } from "zod";
import { create, toBinary } from "@bufbuild/protobuf";
import { DataSchema } from "../../core/proto/gen/auki/joint_encoders_pb.ts";
import { FRAME_PRESETS, RegistryId } from "../../core/registries/entries.ts";
import type { DriverFactory, JointCalibration } from "../driver.ts";
import { RateHz, Seed } from "../sim/config.ts";
import { seededRandom } from "../sim/random.ts";
import { tickingDriver } from "../sim/ticking_driver.ts";
import { configuredCalibrationKeys } from "./configured_calibration.ts";

/** Sinusoids summed per joint. */
const HARMONICS = 3;
/** Largest joint angle magnitude, radians. */
export const MAX_ANGLE_RAD = 0.95 * Math.PI;
/** Upper bound on any joint's angular speed, rad/s. */
export const MAX_SPEED_RAD_S = 2 * Math.PI * 0.25 * MAX_ANGLE_RAD;

/** The motion of a simulated joint bank: coefficients drawn once from the seed. */
class JointMotion {
  readonly #joints: { offset: number; terms: Float64Array }[];

  /** The motion of `jointCount` joints for `seed`. */
  constructor(seed: number, jointCount: number) {
    this.#joints = Array.from({ length: jointCount }, (_, joint) => {
      const random = seededRandom(seed, joint);
      const limit = MAX_ANGLE_RAD * (0.5 + 0.5 * random.next());
      const offset = limit * 0.4 * (random.next() - 0.5);
      // Amplitudes share what the offset leaves of the limit, never exceeding it.
      let budget = limit - Math.abs(offset);
      const terms = new Float64Array(3 * HARMONICS);
      for (let h = 0; h < HARMONICS; h++) {
        const amplitude = budget * (0.3 + 0.3 * random.next());
        budget -= amplitude;
        // 0.02-0.25 Hz keeps the speed under MAX_SPEED_RAD_S.
        terms[3 * h] = amplitude;
        terms[3 * h + 1] = 2 * Math.PI * (0.02 + 0.23 * random.next());
        terms[3 * h + 2] = 2 * Math.PI * random.next();
      }
      return { offset, terms };
    });
  }

  /** The angles in radians at time `t` seconds. */
  at(t: number): number[] {
    return this.#joints.map(({ offset, terms }) => {
      let angle = offset;
      for (let h = 0; h < terms.length; h += 3) {
        angle += terms[h] * Math.sin(terms[h + 1] * t + terms[h + 2]);
      }
      return angle;
    });
  }
}

/** The angles of sample `index` of a `jointCount` bank at `rateHz` with `seed`, radians. */
export function jointAngles(
  seed: number,
  jointCount: number,
  index: number,
  rateHz: number,
): number[] {
  return new JointMotion(seed, jointCount).at(index / rateHz);
}

const Config = z.strictObject({
  id: RegistryId.default("sim_joints"),
  frame_id: RegistryId.default("base_link"),
  joint_count: z.number().int("must be a whole number")
    .min(1, "must be at least 1")
    .max(64, "must be at most 64").default(6),
  rate_hz: RateHz.default(100),
  seed: Seed.default(1),
  // Hold every joint at its starting angle (a robot at rest, for calibration).
  still: z.boolean().default(false),
  offsets_rad: z.array(z.number()).optional(),
  directions: z.array(z.union([z.literal(1), z.literal(-1)], "must be 1 or -1"))
    .optional(),
}).refine(
  (c) =>
    (c.offsets_rad ?? []).length <= c.joint_count &&
    (c.directions ?? []).length <= c.joint_count,
  "offsets_rad and directions have at most one value per joint",
);

/**
 * The calibration of `jointCount` joints: the given offsets and directions,
 * padded with 0 and 1; throws when there are more values than joints.
 */
function jointCalibration(
  jointCount: number,
  given: Partial<JointCalibration>,
): JointCalibration {
  const offsets = given.offsets_rad ?? [];
  const directions = given.directions ?? [];
  if (offsets.length > jointCount || directions.length > jointCount) {
    throw new Error(
      `a calibration of ${offsets.length} offsets and ${directions.length} directions does not fit ${jointCount} joints`,
    );
  }
  return {
    offsets_rad: Array.from({ length: jointCount }, (_, j) => offsets[j] ?? 0),
    directions: Array.from(
      { length: jointCount },
      (_, j) => directions[j] ?? 1,
    ),
  };
}

/** The `sim.joints` driver: a bank of absolute encoders on smoothly moving joints. */
export const simJoints: DriverFactory<typeof Config> = {
  name: "sim.joints",
  summary: "simulated absolute joint encoders (smooth seeded motion)",
  config: Config,
  create(config) {
    const motion = new JointMotion(config.seed, config.joint_count);
    let calibration = jointCalibration(config.joint_count, config);
    const driver = tickingDriver({
      sensor: {
        sensor_id: config.id,
        kind: "joint_encoders",
        type: "absolute",
        joint_count: config.joint_count,
        frame_rate_hz: Math.round(config.rate_hz),
        ...configuredCalibrationKeys(calibration),
      },
      frame: {
        frame_id: config.frame_id,
        ...FRAME_PRESETS.ros_body,
        units: "meters",
      },
      payload: "joint_encoders_frame",
      rateHz: config.rate_hz,
    }, (index) => {
      const { offsets_rad, directions } = calibration;
      return toBinary(
        DataSchema,
        create(DataSchema, {
          anglesRad: motion.at(config.still ? 0 : index / config.rate_hz).map((
            raw,
            j,
          ) => directions[j] * raw + offsets_rad[j]),
        }),
      );
    });
    return {
      ...driver,
      calibrateJoints(stored) {
        if (stored === undefined) {
          calibration = jointCalibration(config.joint_count, config);
          return;
        }
        if (stored.offsets_rad.length !== config.joint_count) {
          throw new Error(
            `the calibration has ${stored.offsets_rad.length} joints, the bank ${config.joint_count}`,
          );
        }
        calibration = jointCalibration(config.joint_count, stored);
      },
    };
  },
};
