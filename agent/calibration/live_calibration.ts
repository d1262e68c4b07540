/**
 * Camera and joint calibrations saved while the agent runs, applied live:
 * the store's camera and joints items are re-read every second (as the
 * static transforms are), and a hosted camera or joint-encoder bank whose
 * stored calibration was saved, changed or deleted is restarted in place,
 * so it registers its new sensor entry (its catalog row gets the new
 * `sensor_hash`; a bank's entry shows the offsets in force) and its log is
 * archived and started anew, exactly as when the agent starts.
 *
 * @module
 */
import { canonicalJson } from "../../core/codec/json.ts";
import type { Logger } from "../../core/logging.ts";
import type {
  HostedSensor,
  SensorHostContext,
} from "../sensors/sensor_host.ts";
import { type CalibrationKind, CalibrationStore } from "./store.ts";

/** The store kind holding the calibration of each sensor kind applied live. */
const STORED: Record<string, CalibrationKind> = {
  camera: "camera",
  joint_encoders: "joints",
};

/** Follows the stored calibrations for the hosted `sensors` (replaced in place when restarted). */
export class LiveCalibration {
  readonly #sensors: HostedSensor[];
  readonly #context: SensorHostContext;
  readonly #store: CalibrationStore;
  readonly #logger: Logger;
  /** The canonical JSON applied, by store kind and sensor id (`kind/id`). */
  readonly #applied = new Map<string, string>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #syncing: Promise<void> = Promise.resolve();

  private constructor(sensors: HostedSensor[], context: SensorHostContext) {
    this.#sensors = sensors;
    this.#context = context;
    this.#store = new CalibrationStore(context.storage);
    this.#logger = context.logger.child("calibration");
  }

  /**
   * Notes what the sensors started with and follows the store from then on
   * (every `pollMs`, default 1000), when any sensor is calibrated live.
   */
  static async start(
    sensors: HostedSensor[],
    context: SensorHostContext,
    pollMs = 1000,
  ): Promise<LiveCalibration> {
    const live = new LiveCalibration(sensors, context);
    // Restarts keep each sensor's kind: without one calibrated live, the
    // store is never read.
    if (!sensors.some((host) => STORED[host.sensor.kind] !== undefined)) {
      return live;
    }
    for (const [key, stored] of await live.#stored()) {
      live.#applied.set(key, stored);
    }
    live.#timer = setInterval(() => live.sync(), pollMs);
    return live;
  }

  /** Restarts the sensors whose stored calibration changed since it was applied. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync()).catch((error) =>
      this.#logger.error(`cannot apply a calibration: ${error}`)
    );
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const stored = await this.#stored();
    for (const [i, host] of this.#sensors.entries()) {
      const { kind, sensor_id: id } = host.sensor;
      if (STORED[kind] === undefined) continue;
      const key = `${STORED[kind]}/${id}`;
      const now = stored.get(key) ?? "";
      if (now === (this.#applied.get(key) ?? "")) continue;
      this.#applied.set(key, now);
      this.#logger.info(
        `${kind} "${id}": stored calibration ${
          now === "" ? "deleted" : "changed"
        }, restarting it`,
      );
      this.#sensors[i] = await host.restart(this.#context);
    }
  }

  /** The canonical JSON of each stored camera and joints calibration, by `kind/id`. */
  async #stored(): Promise<Map<string, string>> {
    const stored = new Map<string, string>();
    for (const kind of new Set(Object.values(STORED))) {
      const items = await this.#store.list(
        kind,
        (path, error) => this.#logger.warn(`skipping ${path}: ${error}`),
      );
      for (const { id, record } of items) {
        stored.set(`${kind}/${id}`, canonicalJson(record));
      }
    }
    return stored;
  }

  /** Stops following the store (after a restart in progress). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#syncing;
  }
}
