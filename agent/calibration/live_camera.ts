/**
 * Camera calibrations saved while the agent runs, applied live: the store's
 * camera items are re-read every second (as the static transforms are), and
 * a hosted camera whose stored calibration was saved, changed or deleted is
 * restarted in place, so it registers its new sensor entry (its catalog row
 * gets the new `sensor_hash`) and its log is archived and started anew,
 * exactly as when the agent starts.
 *
 * @module
 */
import { canonicalJson } from "../../core/codec/json.ts";
import type { Logger } from "../../core/logging.ts";
import type {
  HostedSensor,
  SensorHostContext,
} from "../sensors/sensor_host.ts";
import { CalibrationStore } from "./store.ts";

/** Follows the stored camera calibrations for the hosted `sensors` (replaced in place when restarted). */
export class LiveCameraCalibration {
  readonly #sensors: HostedSensor[];
  readonly #context: SensorHostContext;
  readonly #store: CalibrationStore;
  readonly #logger: Logger;
  readonly #applied = new Map<string, string>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #syncing: Promise<void> = Promise.resolve();

  private constructor(sensors: HostedSensor[], context: SensorHostContext) {
    this.#sensors = sensors;
    this.#context = context;
    this.#store = new CalibrationStore(context.storage);
    this.#logger = context.logger.child("calibration");
  }

  /** Notes what the cameras started with and follows the store from then on (every `pollMs`, default 1000). */
  static async start(
    sensors: HostedSensor[],
    context: SensorHostContext,
    pollMs = 1000,
  ): Promise<LiveCameraCalibration> {
    const live = new LiveCameraCalibration(sensors, context);
    for (const [id, stored] of await live.#stored()) {
      live.#applied.set(id, stored);
    }
    live.#timer = setInterval(() => live.sync(), pollMs);
    return live;
  }

  /** Restarts the cameras whose stored calibration changed since it was applied. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync()).catch((error) =>
      this.#logger.error(`cannot apply a camera calibration: ${error}`)
    );
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const stored = await this.#stored();
    for (const [i, host] of this.#sensors.entries()) {
      const { kind, sensor_id: id } = host.sensor;
      if (kind !== "camera") continue;
      const now = stored.get(id) ?? "";
      if (now === (this.#applied.get(id) ?? "")) continue;
      this.#applied.set(id, now);
      this.#logger.info(
        `camera "${id}": stored calibration ${
          now === "" ? "deleted" : "changed"
        }, restarting it`,
      );
      this.#sensors[i] = await host.restart(this.#context);
    }
  }

  /** The canonical JSON of each stored camera calibration, by sensor id. */
  async #stored(): Promise<Map<string, string>> {
    const items = await this.#store.list(
      "camera",
      (path, error) => this.#logger.warn(`skipping ${path}: ${error}`),
    );
    return new Map(items.map(({ id, record }) => [id, canonicalJson(record)]));
  }

  /** Stops following the store (after a restart in progress). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#syncing;
  }
}
