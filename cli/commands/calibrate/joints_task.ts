/**
 * `auki-edge calibrate joints MULTIADDR RESOURCE_ID`: with the robot held at
 * a known reference pose, average the bank's streamed angles, undo the
 * calibration in force (the one the bank's sensor entry shows: a stored
 * one, else the driver's configured offsets and directions), and save
 * per-joint offsets that make the readings equal the reference
 * (`angle = direction * raw + offset_rad`); a running agent applies them
 * within a second.
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import {
  CalibrationStore,
  type JointsRecord,
} from "../../../agent/calibration/store.ts";
import { JointEncodersDataSchema } from "../../../core/proto/payload_schemas.ts";
import { canonicalJson } from "../../../core/codec/json.ts";
import type { JointCalibration } from "../../../drivers/driver.ts";
import { flagValue, parseCommand, parseCount, UsageError } from "../../args.ts";
import {
  type Device,
  parseTarget,
  sensorOf,
  timedEntries,
  withDevice,
} from "../../client.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../../cluster_flags.ts";
import { ProgressBar } from "./progress.ts";
import {
  parseNumbers,
  TASK_FLAGS,
  TASK_FLAGS_HELP,
  taskStorage,
} from "./task_flags.ts";
import { type Output, STDIO } from "../../output.ts";

const HELP = `Usage: auki-edge calibrate joints MULTIADDR RESOURCE_ID [options]

Hold the robot still at the reference pose, then run this: it averages the
joint-encoder bank's streamed angles and saves per-joint zero offsets (and
directions) to <storage>/calibration/joints/, so that the bank reads the
reference there. Drivers that take offsets (sim.joints, serial.dynamixel,
native joint banks) apply them within a second, without an agent restart
(the bank restarts with a new sensor_hash, its entry shows the offsets in
force as joint_offsets_rad / joint_directions, and its log is archived):
angle = direction * raw + offset. The offsets in force (the stored ones, else
those of the driver's configuration, which the stored ones replace) are undone
first, as the bank's entry shows them.

Options:
  --reference A,B,...   the pose's joint angles in radians (default all 0)
  --directions D,...    1 or -1 per joint (default: the ones in force, else
                        the stored ones, else 1)
  --samples N           readings to average (default 20)
  --still-tol RAD       largest spread of a joint's readings that still counts
                        as held still (default 0.002)
${TASK_FLAGS_HELP}
${CLUSTER_FLAGS_HELP}
  -h, --help            show this help
`;

/** How long a reading may take before the bank counts as not streaming, ms. */
const SAMPLE_TIMEOUT_MS = 5_000;

/** Runs `calibrate joints`; returns the exit code. */
export async function calibrateJointsCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const name = "calibrate joints";
  const { values, positionals } = parseCommand({
    name,
    options: {
      reference: { type: "string" },
      directions: { type: "string" },
      samples: { type: "string" },
      "still-tol": { type: "string" },
      ...TASK_FLAGS,
      ...CLUSTER_FLAGS,
    },
    positionals: ["MULTIADDR", "RESOURCE_ID"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const target = parseTarget(name, positionals[0]);
  const id = positionals[1];
  const reference = values.reference === undefined
    ? undefined
    : flagValue(name, "reference", values.reference, (r) => parseNumbers(r));
  const directions = values.directions === undefined
    ? undefined
    : flagValue(name, "directions", values.directions, parseDirections);
  const samples = values.samples === undefined
    ? 20
    : flagValue(name, "samples", values.samples, parseCount);
  if (samples === 0) {
    throw new UsageError(`${name}: --samples: must be at least 1`);
  }
  const stillTol = values["still-tol"] === undefined
    ? DEFAULT_STILL_TOL_RAD
    : flagValue(name, "still-tol", values["still-tol"], (r) => {
      const [tol] = parseNumbers(r, 1);
      if (!(tol > 0)) throw new Error("must be greater than 0");
      return tol;
    });
  const store = new CalibrationStore(await taskStorage(values));
  const stored = await store.get("joints", id);

  const readings = await withDevice(
    target,
    clusterOf(name, values),
    (device) => readAngles(device, id, samples),
  );
  const { mean, spread, inForce } = readings;
  const implausible = readings.implausible;
  if (implausible !== undefined) {
    output.err(
      `${name}: joint ${implausible.joint} read ${implausible.value} rad, not a plausible angle (finite, within ±${
        MAX_PLAUSIBLE_RAD.toFixed(2)
      } rad); nothing saved`,
    );
    return 1;
  }
  const moved = spread.findIndex((s) => s > stillTol);
  if (moved >= 0) {
    output.err(
      `${name}: joint ${moved} moved ${
        spread[moved].toFixed(4)
      } rad during the reference capture (tolerance ${stillTol} rad, --still-tol): hold the robot still at the reference pose; nothing saved`,
    );
    return 1;
  }
  const count = mean.length;
  const ref = reference ?? new Array(count).fill(0);
  const dirs = directions ?? inForce?.directions ??
    (stored?.directions.length === count ? stored.directions : undefined) ??
    new Array(count).fill(1);
  for (
    const [flag, list] of [["reference", ref], ["directions", dirs]] as const
  ) {
    if (list.length !== count) {
      throw new UsageError(
        `${name}: --${flag}: "${id}" has ${count} joints, ${list.length} values given`,
      );
    }
  }
  if (
    stored !== undefined &&
    canonicalJson(stored.offsets_rad) !==
      canonicalJson(inForce?.offsets_rad ?? [])
  ) {
    output.err(
      `${name}: the calibration stored at ${stored.saved_at} is not in force on "${id}" (its sensor entry shows ${
        inForce === undefined ? "none" : `[${inForce.offsets_rad.join(", ")}]`
      }); the readings are undone with the offsets in force`,
    );
  }
  const raw = mean.map((angle, j) =>
    inForce === undefined
      ? angle
      : inForce.directions[j] * (angle - inForce.offsets_rad[j])
  );
  const record: JointsRecord = {
    sensor_id: id,
    offsets_rad: raw.map((r, j) => ref[j] - dirs[j] * r),
    directions: dirs as (1 | -1)[],
    reference_rad: ref,
    saved_at: new Date().toISOString(),
  };
  output.out(
    `joint bank "${id}", ${count} joints, mean of ${samples} readings (held still: largest spread ${
      Math.max(...spread).toFixed(5)
    } rad, tolerance ${stillTol} rad):`,
  );
  record.offsets_rad.forEach((offset, j) =>
    output.out(
      `  joint ${j}: reads ${mean[j].toFixed(6)} rad, reference ${
        ref[j].toFixed(6)
      }, offset ${inForce ? inForce.offsets_rad[j].toFixed(6) : "0"} -> ${
        offset.toFixed(6)
      }, direction ${dirs[j]}`,
    )
  );
  output.out(`will save to ${store.path("joints", id)}`);
  if (values["dry-run"]) {
    output.out("dry run: nothing saved");
    return 0;
  }
  await store.save("joints", id, record);
  output.out(
    "saved; a running agent applies it within a second (the bank restarts with the offsets in its sensor entry)",
  );
  return 0;
}

/** Readings of a joint spreading more than this count as moving (default of --still-tol), radians. */
const DEFAULT_STILL_TOL_RAD = 0.002;
/** Readings beyond two turns are implausible, radians. */
const MAX_PLAUSIBLE_RAD = 4 * Math.PI;

/**
 * The mean and the spread (largest minus smallest) of `samples` readings of
 * joint bank `id` per joint, radians, the first implausible reading, and
 * the offsets in force as the bank's sensor entry shows them.
 */
async function readAngles(
  device: Device,
  id: string,
  samples: number,
): Promise<{
  mean: number[];
  spread: number[];
  implausible?: { joint: number; value: number };
  inForce?: JointCalibration;
}> {
  const subscription = await device.subscribe(id);
  if (subscription.manifest.payload !== "joint_encoders_frame") {
    subscription.close();
    throw new Error(
      `"${id}" is not a joint-encoder bank (its payload is ${subscription.manifest.payload})`,
    );
  }
  const entry = await sensorOf(device, subscription).catch((error) => {
    subscription.close();
    throw error;
  });
  const inForce = entry.kind === "joint_encoders" &&
      entry.joint_offsets_rad !== undefined
    ? {
      offsets_rad: entry.joint_offsets_rad,
      directions: entry.joint_directions ??
        entry.joint_offsets_rad.map(() => 1 as const),
    }
    : undefined;
  const progress = new ProgressBar("reading", samples);
  let sums: number[] | undefined;
  let lows: number[] = [];
  let highs: number[] = [];
  let implausible: { joint: number; value: number } | undefined;
  let read = 0;
  try {
    for await (const entry of timedEntries(subscription, SAMPLE_TIMEOUT_MS)) {
      const { anglesRad } = fromBinary(JointEncodersDataSchema, entry.payload);
      if (sums === undefined) {
        sums = new Array(anglesRad.length).fill(0);
        lows = new Array(anglesRad.length).fill(Infinity);
        highs = new Array(anglesRad.length).fill(-Infinity);
      }
      if (anglesRad.length !== sums.length) {
        throw new Error(`"${id}" changed its joint count while being read`);
      }
      anglesRad.forEach((a, j) => {
        if (!(Math.abs(a) <= MAX_PLAUSIBLE_RAD)) {
          implausible ??= { joint: j, value: a };
        }
        sums![j] += a;
        lows[j] = Math.min(lows[j], a);
        highs[j] = Math.max(highs[j], a);
      });
      progress.update(++read);
      if (read === samples) break;
    }
  } finally {
    progress.done();
  }
  return {
    mean: sums!.map((s) => s / samples),
    spread: highs.map((h, j) => h - lows[j]),
    implausible,
    inForce,
  };
}

function parseDirections(raw: string): (1 | -1)[] {
  return parseNumbers(raw).map((d) => {
    if (d !== 1 && d !== -1) throw new Error(`"${d}" is not 1 or -1`);
    return d;
  });
}
