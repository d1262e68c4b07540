/**
 * `serial.dynamixel`: a bank of ROBOTIS DYNAMIXEL X-series servos on a
 * Protocol 2.0 bus (U2D2 or similar, default 57600 baud), read with one
 * Sync Read of Present Position per cycle and published as absolute joint
 * encoders (`joint_encoders_frame`, one angle per configured servo, in
 * configuration order, the servo ids listed in the entry's `servo_ids`),
 * with each servo's error byte, and with `present_velocity` /
 * `present_current` its velocity and current (`current_unit_ma`: 2.69 for
 * the XM430 and XH430; the XL430 reports Present Load in 0.1 % there
 * instead). Configured `offset_rad` / `direction` other than 0 and 1 are
 * shown in the entry as `joint_offsets_rad` / `joint_directions`. See
 * `dynamixel_bank.ts` for the angles, the
 * timestamps and what a missing or failing servo does.
 *
 * The bus sets the top rate: one cycle moves `20 + 16 n` bytes for `n`
 * servos (4 and 6 bytes more a servo with velocity and current) (more with byte stuffing), plus each servo's Return Delay Time
 * (address 9, 500 µs by default; set it to 0 for fast polling). At 57600
 * baud six servos take about 20 ms, so 100 Hz needs 1 Mbaud or more.
 *
 * @module
 */
import { z } from "zod";
import { FRAME_PRESETS, RegistryId } from "../../core/registries/entries.ts";
import type { DriverFactory, JointCalibration } from "../driver.ts";
import { selectorOf, serialConfig } from "../serial/config.ts";
import { serialDriver } from "../serial/serial_driver.ts";
import { configuredCalibrationKeys } from "./configured_calibration.ts";
import { DynamixelBank } from "./dynamixel_bank.ts";
import {
  CURRENT_UNIT_MA,
  DXL_MAX_ID,
  PRESENT_POSITION_SIZE,
  presentBlock,
} from "./dynamixel_protocol.ts";

/** The X series' factory line speed. */
export const DYNAMIXEL_BAUD = 57600;
/** Slack added to a cycle's line time before a servo counts as not answering, ms. */
const TIMEOUT_SLACK_MS = 10;

const ServoConfig = z.strictObject({
  id: z.number().int("must be a whole number").min(0, "must be 0 to 252")
    .max(DXL_MAX_ID, "must be 0 to 252"),
  offset_rad: z.number().default(0),
  direction: z.union([z.literal(1), z.literal(-1)], "must be 1 or -1")
    .default(1),
});

const Config = serialConfig({
  baud: DYNAMIXEL_BAUD,
  id: "dynamixel",
  rateHz: 100,
}, {
  frame_id: RegistryId.default("base_link"),
  present_velocity: z.boolean().default(false),
  present_current: z.boolean().default(false),
  current_unit_ma: z.number().positive("must be above 0").default(
    CURRENT_UNIT_MA,
  ),
  servos: z.array(ServoConfig)
    .min(1, "must list at least one servo")
    .max(64, "must list at most 64 servos")
    .refine(
      (servos) => new Set(servos.map((s) => s.id)).size === servos.length,
      "servo ids must be unique",
    ),
});

/** The time a Sync Read of `size` bytes from `servos` servos may take at `baud` before it is expired, ms. */
export function cycleTimeoutMs(
  servos: number,
  baud: number,
  rateHz: number,
  size = PRESENT_POSITION_SIZE,
): number {
  const bytes = 14 + servos + (11 + size) * servos;
  const lineMs = bytes * 10 * 1000 / baud;
  return Math.max(1000 / rateHz, 2 * lineMs + TIMEOUT_SLACK_MS);
}

/** The `serial.dynamixel` driver. */
export const serialDynamixel: DriverFactory<typeof Config> = {
  name: "serial.dynamixel",
  summary:
    "ROBOTIS DYNAMIXEL X-series servo bank (Protocol 2.0 Sync Read of Present Position)",
  config: Config,
  create(config) {
    const block = presentBlock(
      config.present_velocity,
      config.present_current,
    );
    const servos = config.servos.map((s) => ({
      id: s.id,
      offsetRad: s.offset_rad,
      direction: s.direction,
    }));
    const driver = serialDriver({
      sensor: {
        sensor_id: config.id,
        kind: "joint_encoders",
        type: "absolute",
        joint_count: servos.length,
        frame_rate_hz: Math.round(config.rate_hz),
        servo_ids: servos.map((s) => s.id),
        ...configuredCalibrationKeys({
          offsets_rad: config.servos.map((s) => s.offset_rad),
          directions: config.servos.map((s) => s.direction),
        }),
      },
      frame: {
        frame_id: config.frame_id,
        ...FRAME_PRESETS.ros_body,
        units: "meters",
      },
      payload: "joint_encoders_frame",
      rateHz: config.rate_hz,
    }, {
      model: "DYNAMIXEL",
      selector: selectorOf(config),
      baudRate: config.baud,
      decoder: () =>
        new DynamixelBank({
          servos,
          rateHz: config.rate_hz,
          timeoutMs: cycleTimeoutMs(
            servos.length,
            config.baud,
            config.rate_hz,
            block.size,
          ),
          block,
          currentUnitMa: config.current_unit_ma,
        }),
    });
    return Object.assign(driver, {
      calibrateJoints(calibration: JointCalibration | undefined) {
        if (
          calibration !== undefined &&
          calibration.offsets_rad.length !== servos.length
        ) {
          throw new Error(
            `the calibration has ${calibration.offsets_rad.length} joints, the bank ${servos.length}`,
          );
        }
        servos.forEach((servo, i) => {
          servo.offsetRad = calibration?.offsets_rad[i] ??
            config.servos[i].offset_rad;
          servo.direction = calibration?.directions[i] ??
            config.servos[i].direction;
        });
      },
    });
  },
};
