/**
 * `auki-edge calibration show [ID]` and `auki-edge calibration delete ID`:
 * what the calibration store holds (and, with `--device`, what the running
 * agent publishes for a sensor), and removing a stored item.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import {
  type CalibrationKind,
  CalibrationStore,
} from "../../agent/calibration/store.ts";
import type { SensorEntry } from "../../core/registries/entries.ts";
import { readSensorEntry } from "../../core/registries/sensor_reader.ts";
import { requestRegistryEntry } from "../../agent/protocols/registries.ts";
import { requestResources } from "../../agent/protocols/resources.ts";
import { parseCommand, UsageError } from "../args.ts";
import { type Output, STDIO } from "../output.ts";
import { parseTarget, withDevice } from "../client.ts";
import {
  CLUSTER_FLAGS,
  CLUSTER_FLAGS_HELP,
  clusterOf,
} from "../cluster_flags.ts";
import {
  TASK_FLAGS,
  TASK_FLAGS_HELP,
  taskStorage,
} from "./calibrate/task_flags.ts";

const KINDS: CalibrationKind[] = ["camera", "joints", "transforms"];

const HELP = `Usage: auki-edge calibration show [ID] [options]
       auki-edge calibration delete ID [options]

show    lists the stored calibrations (camera, joints, static transforms),
        or prints every stored item named ID in full; with --device, also
        what the agent at MULTIADDR publishes for sensor ID
delete  removes the stored items named ID (a running agent withdraws a
        camera calibration, joint offsets or a static transform within a
        second)

Options:
  --kind K           only camera, joints or transforms
  --device MULTIADDR the running agent to compare with (show ID)
${TASK_FLAGS_HELP}
${CLUSTER_FLAGS_HELP}
  -h, --help         show this help
`;

/** Runs `calibration`; returns the exit code. */
export async function calibrationCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === "--help" || action === "-h") {
    output.out(HELP);
    return action === undefined ? 2 : 0;
  }
  if (action !== "show" && action !== "delete") {
    throw new UsageError(
      `calibration: unknown action "${action}" (expected show, delete)`,
    );
  }
  const name = `calibration ${action}`;
  const options = {
    kind: { type: "string" },
    device: { type: "string" },
    ...TASK_FLAGS,
    ...CLUSTER_FLAGS,
  } as const;
  const takesValue = (arg: string) =>
    arg.startsWith("--") &&
    (options as ParseArgsOptionsConfig)[arg.slice(2)]?.type === "string";
  const id = rest.find((a, i) =>
    !a.startsWith("-") && !(i > 0 && takesValue(rest[i - 1]))
  );
  const { values } = parseCommand({
    name,
    options,
    positionals: id === undefined ? [] : ["ID"],
  }, rest);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const kinds = values.kind === undefined ? KINDS : [values.kind];
  if (!kinds.every((k) => (KINDS as string[]).includes(k))) {
    throw new UsageError(
      `${name}: --kind: expects one of ${KINDS.join(", ")}`,
    );
  }
  const store = new CalibrationStore(await taskStorage(values));
  const skipped = (path: string, error: unknown) =>
    output.err(`${name}: skipping ${path}: ${error}`);
  if (action === "delete") {
    if (id === undefined) throw new UsageError(`${name}: missing ID`);
    let found = 0;
    for (const kind of kinds as CalibrationKind[]) {
      if (await store.get(kind, id).catch(() => null) === undefined) continue;
      found++;
      const path = store.path(kind, id);
      if (values["dry-run"]) {
        output.out(`would delete ${path}`);
      } else {
        await store.delete(kind, id);
        output.out(`deleted ${path}`);
      }
    }
    if (found === 0) {
      output.err(`${name}: nothing stored for "${id}" in ${store.dir}`);
      return 1;
    }
    return 0;
  }
  let shown = 0;
  for (const kind of kinds as CalibrationKind[]) {
    for (const { id: itemId, record } of await store.list(kind, skipped)) {
      if (id !== undefined && itemId !== id) continue;
      shown++;
      if (id !== undefined) {
        output.out(`${kind} "${itemId}" (${store.path(kind, itemId)}):`);
        output.out(JSON.stringify(record, null, 2));
        continue;
      }
      output.out(`${kind.padEnd(10)} ${itemId}: ${summary(kind, record)}`);
    }
  }
  if (shown === 0) {
    output.out(
      id === undefined
        ? `no calibration stored in ${store.dir}`
        : `nothing stored for "${id}" in ${store.dir}`,
    );
  }
  if (values.device !== undefined) {
    if (id === undefined) {
      throw new UsageError(`${name}: --device needs a sensor ID`);
    }
    const target = parseTarget(name, values.device);
    const entry = await withDevice(
      target,
      clusterOf(name, values),
      async (device) => {
        const rows = await device.request(() =>
          requestResources(device.node, device.target, ["sensor_log"])
        );
        const row = rows.find((r) => r.sensor?.sensor_id === id);
        if (!row?.sensor) return undefined;
        const fetched = await requestRegistryEntry(
          device.node,
          device.target,
          "sensor",
          id,
          row.sensor.sensor_hash,
        );
        return fetched && readSensorEntry(fetched.entry);
      },
    );
    if (entry === undefined || entry === null) {
      output.err(`${name}: the device has no sensor "${id}"`);
      return 1;
    }
    output.out(`published by the device for "${id}": ${published(entry)}`);
  }
  return 0;
}

/** What a sensor entry says about the calibration in force. */
function published(entry: SensorEntry): string {
  if (entry.kind === "camera") {
    return `${entry.distortion_model} ${
      entry.calibration === undefined
        ? "uncalibrated"
        : JSON.stringify(entry.calibration)
    }`;
  }
  if (entry.kind === "joint_encoders") {
    return entry.joint_offsets_rad === undefined
      ? `${entry.joint_count} joints, no joint offsets`
      : `${entry.joint_count} joints, joint_offsets_rad [${
        entry.joint_offsets_rad.join(", ")
      }], joint_directions [${(entry.joint_directions ?? []).join(", ")}]`;
  }
  return `a ${entry.kind} sensor`;
}

/** One line about a stored record. */
function summary(
  kind: CalibrationKind,
  record: Record<string, unknown>,
): string {
  if (kind === "camera") {
    const r = record as {
      width: number;
      height: number;
      distortion_model: string;
      calibration: { fx: number; fy: number; cx: number; cy: number };
      rms_px?: number;
      saved_at: string;
    };
    const c = r.calibration;
    return `${r.width}x${r.height} ${r.distortion_model} fx ${
      c.fx.toFixed(2)
    } fy ${c.fy.toFixed(2)} cx ${c.cx.toFixed(2)} cy ${c.cy.toFixed(2)}, ${
      r.rms_px === undefined ? "imported" : `${r.rms_px.toFixed(3)} px RMS`
    }, saved ${r.saved_at}`;
  }
  if (kind === "joints") {
    const r = record as { offsets_rad: number[]; saved_at: string };
    return `${r.offsets_rad.length} joint offsets [${
      r.offsets_rad.map((o) => o.toFixed(4)).join(", ")
    }] rad, saved ${r.saved_at}`;
  }
  const r = record as {
    from_frame: { frame_id: string };
    to_frame: { frame_id: string };
    translation: number[];
    method: string;
    saved_at: string;
  };
  return `${r.from_frame.frame_id} -> ${r.to_frame.frame_id} t [${
    r.translation.join(", ")
  }] (${r.method}), saved ${r.saved_at}`;
}
