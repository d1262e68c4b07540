/**
 * `auki-edge calibrate <task>`: the calibration tasks (`calibrate/`), commands over
 * the `calibration/` library.
 *
 * @module
 */
import { UsageError } from "../args.ts";
import { useOwnerOnlyModes } from "../../agent/private_storage.ts";
import { calibrateBoardCommand } from "./calibrate/board_task.ts";
import { calibrateCameraCommand } from "./calibrate/camera_task.ts";
import { calibrateClockCommand } from "./calibrate/clock_task.ts";
import { calibrateExtrinsicsCommand } from "./calibrate/extrinsics_task.ts";
import { calibrateJointsCommand } from "./calibrate/joints_task.ts";
import { type Output, STDIO } from "../output.ts";

const TASKS: Record<
  string,
  (argv: string[], output: Output) => Promise<number>
> = {
  camera: calibrateCameraCommand,
  extrinsics: calibrateExtrinsicsCommand,
  joints: calibrateJointsCommand,
  clock: calibrateClockCommand,
  board: calibrateBoardCommand,
};

const HELP = `Usage: auki-edge calibrate <task> [options]

Each task prints what it will change before changing it; --dry-run changes
nothing. Results go to <storage>/calibration/, which the agent applies.

Tasks:
  camera      intrinsics and distortion of a camera from views of the board
  extrinsics  a static transform between two frames (entered or by PnP)
  joints      zero offsets of a joint-encoder bank at a reference pose
  clock       offset, drift and uncertainty of the device's clocks
  board       write the calibration board as a printable SVG

Run "auki-edge calibrate <task> --help" for a task's options.
`;

/** Runs `calibrate`; returns the exit code. */
export function calibrateCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const [task, ...rest] = argv;
  if (task === undefined || task === "--help" || task === "-h") {
    output.out(HELP);
    return Promise.resolve(task === undefined ? 2 : 0);
  }
  const run = TASKS[task];
  if (run === undefined) {
    throw new UsageError(
      `calibrate: unknown task "${task}" (expected ${
        Object.keys(TASKS).join(", ")
      })`,
    );
  }
  // Calibration records land in the agent's storage, which is owner-only.
  if (task !== "board") useOwnerOnlyModes();
  return run(rest, output);
}
