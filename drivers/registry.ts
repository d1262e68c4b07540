/**
 * The driver kinds built into auki-edge, by configuration `driver` name.
 *
 * @module
 */
import type { DriverFactory } from "./driver.ts";
import { simCamera } from "./camera/sim.ts";
import { simLidar2d } from "./rangefinder/sim.ts";
import { simUwb } from "./rf/uwb_sim.ts";
import { simJoints } from "./joint_encoders/sim.ts";

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

/** Every driver selectable in the configuration file. */
export const ALL_DRIVERS: readonly DriverFactory[] = [...SIM_DRIVERS];
