/**
 * The driver kinds built into auki-edge, by configuration `driver` name.
 *
 * File names under `drivers/` keep simulation apart:
 * - `sim_<kind>.ts` (and its `sim_*.ts` parts) is a simulated driver
 *   (`sim.*`): it publishes synthetic samples itself; `sim/` holds what
 *   they share.
 * - `<device>_device_sim.ts` (and `serial/device_sim_port.ts`, which runs
 *   one on a pty) is a device simulator: it speaks a real device's wire
 *   protocol so the real driver can be run without the hardware.
 * - `<device>.ts` is a real driver; `lidar2d.ts` and the like hold what a
 *   family's drivers, real and simulated, share.
 *
 * @module
 */
import type { DriverFactory } from "./driver.ts";
import { simCamera } from "./camera/sim_camera.ts";
import { simLidar2d } from "./rangefinder/sim_lidar2d.ts";
import { simUwb } from "./rf/sim_uwb.ts";
import { simJoints } from "./joint_encoders/sim_joints.ts";
import { serialLd06 } from "./rangefinder/ld06.ts";
import { serialTfmini } from "./rangefinder/tfmini.ts";
import { serialRplidar } from "./rangefinder/rplidar.ts";
import { serialDwm1001 } from "./rf/dwm1001.ts";
import { serialEspCsi } from "./rf/esp_csi.ts";
import { serialDynamixel } from "./joint_encoders/dynamixel.ts";
import { nativeDriver } from "./native/native.ts";
import { v4l2Camera } from "./camera/v4l2.ts";

/** The simulated sensor drivers. */
export const SIM_DRIVERS: readonly DriverFactory[] = [
  simCamera,
  simLidar2d,
  simUwb,
  simJoints,
];

/** The CLI's `--sim` kind names, mapped to driver factory names. */
export const SIM_KINDS: Readonly<
  Record<"camera" | "rangefinder" | "uwb" | "joints", string>
> = {
  camera: simCamera.name,
  rangefinder: simLidar2d.name,
  uwb: simUwb.name,
  joints: simJoints.name,
};

/** The drivers of native libraries and kernel devices through FFI. */
export const FFI_DRIVERS: readonly DriverFactory[] = [nativeDriver, v4l2Camera];

/** The serial hardware drivers. */
export const SERIAL_DRIVERS: readonly DriverFactory[] = [
  serialLd06,
  serialTfmini,
  serialRplidar,
  serialDwm1001,
  serialEspCsi,
  serialDynamixel,
];

/** Every driver selectable in the configuration file. */
export const ALL_DRIVERS: readonly DriverFactory[] = [
  ...SIM_DRIVERS,
  ...FFI_DRIVERS,
  ...SERIAL_DRIVERS,
];
