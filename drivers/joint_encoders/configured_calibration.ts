/**
 * The sensor-entry keys of the offsets and directions a joint-encoder
 * driver's own configuration applies (`offsets_rad` / `directions` of
 * `sim.joints`, `offset_rad` / `direction` per servo of
 * `serial.dynamixel`), so that consumers and `calibrate joints` see them as
 * the calibration in force. A stored calibration replaces them in the
 * entry as in the driver (`agent/calibration/apply.ts`).
 *
 * @module
 */
import type { JointCalibration } from "../driver.ts";

/** The entry keys a configured calibration shows: none when every offset is 0 and every direction 1. */
export function configuredCalibrationKeys(
  configured: JointCalibration,
): { joint_offsets_rad?: number[]; joint_directions?: (1 | -1)[] } {
  const identity = configured.offsets_rad.every((o) => o === 0) &&
    configured.directions.every((d) => d === 1);
  return identity ? {} : {
    joint_offsets_rad: configured.offsets_rad,
    joint_directions: configured.directions,
  };
}
