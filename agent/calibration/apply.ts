/**
 * Stored calibration applied to a sensor as the agent starts it: a camera's
 * calibration goes into its sensor registry entry (so its hash and the
 * catalog row's `sensor_hash` change together, and its log is archived and
 * started anew, decision 16), a joint-encoder bank's offsets and directions
 * into its driver and, as `joint_offsets_rad` / `joint_directions`, its
 * sensor registry entry. A stored joint calibration replaces the offsets
 * and directions of the driver's configuration, it does not add to them:
 * the angles are `direction * raw + offset` with the stored values alone.
 * Without one (or with one that does not fit) the configured ones are in
 * force, and the entry shows them as the driver describes them (no keys
 * when every offset is 0 and every direction 1). A calibration that does
 * not fit (another image size, another joint count, a driver without
 * offsets) is ignored with a warning.
 *
 * @module
 */
import type { SensorDescription, SensorDriver } from "../../drivers/driver.ts";
import type { Logger } from "../../core/logging.ts";
import { CalibrationStore } from "./store.ts";

/** The description `driver` is registered with, after applying what `storage` holds for it. */
export async function applyStoredCalibration(
  driver: SensorDriver,
  storage: string,
  logger: Logger,
): Promise<SensorDescription> {
  const description = driver.description;
  const { sensor } = description;
  const store = new CalibrationStore(storage);
  const read = async <K extends "camera" | "joints">(kind: K) => {
    try {
      return await store.get(kind, sensor.sensor_id);
    } catch (error) {
      logger.warn(`stored ${kind} calibration ignored: ${error}`);
      return undefined;
    }
  };
  if (sensor.kind === "camera") {
    const stored = await read("camera");
    if (stored === undefined) return description;
    if (stored.width !== sensor.width || stored.height !== sensor.height) {
      logger.warn(
        `stored calibration is for ${stored.width}x${stored.height}, the camera publishes ${sensor.width}x${sensor.height}: ignored (calibrate again)`,
      );
      return description;
    }
    logger.info(
      `calibrated (saved ${stored.saved_at}, ${
        stored.rms_px === undefined
          ? "imported"
          : `${stored.rms_px.toFixed(3)} px RMS`
      })`,
    );
    return {
      ...description,
      sensor: {
        ...sensor,
        intrinsics_model: "pinhole",
        distortion_model: stored.distortion_model,
        calibration: stored.calibration,
      },
    };
  }
  if (sensor.kind === "joint_encoders") {
    const stored = await read("joints");
    if (stored === undefined) {
      // A restart after the calibration was deleted: the configured offsets again.
      driver.calibrateJoints?.(undefined);
      return description;
    }
    if (driver.calibrateJoints === undefined) {
      logger.warn(
        "its driver takes no joint offsets: stored calibration ignored",
      );
      return description;
    }
    try {
      driver.calibrateJoints(stored);
      logger.info(`joint offsets applied (saved ${stored.saved_at})`);
    } catch (error) {
      logger.warn(`stored joint calibration ignored: ${error}`);
      driver.calibrateJoints(undefined);
      return description;
    }
    // Consumers see the offsets in force in the sensor entry: the stored
    // ones, in place of any configured ones the description shows.
    return {
      ...description,
      sensor: {
        ...sensor,
        joint_offsets_rad: stored.offsets_rad,
        joint_directions: stored.directions,
      },
    };
  }
  return description;
}
