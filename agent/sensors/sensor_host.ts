/**
 * Runs one sensor driver inside the agent: registers its frame and sensor
 * entries, records every sample in its log and serves the log as a
 * `sensor_log` resource that is online while the device produces. A
 * driver's pose outputs are recorded and served the same way, as
 * `pose_log` resources online with the sensor. Stored calibration
 * (`<storage>/calibration/`) is applied first.
 *
 * @module
 */
import type {
  DeviceInfo,
  PoseOutput,
  SensorDriver,
} from "../../drivers/driver.ts";
import type { Catalog } from "../catalog/catalog.ts";
import type { LogResource } from "../catalog/log_resource.ts";
import {
  openOwnLog,
  type OwnLogContext,
  type Retention,
} from "../catalog/own_log.ts";
import type { Clock } from "../clocks/clocks.ts";
import type { SegmentLog } from "../logs/log.ts";
import { rateLimited } from "../../core/logging.ts";
import type { SensorEntry } from "../../core/registries/entries.ts";
import type { RegistryStore } from "../registries/store.ts";
import { sensorLogSpec } from "./sensor_log.ts";
import { poseLogSpec } from "./pose_log.ts";
import { applyStoredCalibration } from "../calibration/apply.ts";
import { SensorStats } from "../observe/sensor_stats.ts";
import { unstreamableReason } from "./entry_size.ts";

/** What a hosted sensor needs from the agent: where its logs go, and more. */
export interface SensorHostContext extends OwnLogContext {
  /** The clock samples are timestamped with. */
  clock: Clock;
  /** The local registry. */
  registry: RegistryStore;
  /** The catalog the sensor's resource joins. */
  catalog: Catalog;
}

/** A hosted sensor's state, as `status --json` shows it. */
export interface SensorStatus {
  /** The sensor id (catalog `resource_id`). */
  id: string;
  /** Whether its row is in the catalog now. */
  online: boolean;
  /** Failed reads its sessions survived since the agent started. */
  read_failures: number;
  /** What the last of them said, or null. */
  last_read_failure: string | null;
  /** The device, when its driver names it. */
  device?: DeviceInfo;
}

/** A driver running in the agent. */
export class HostedSensor {
  /** The served resource. */
  readonly resource: LogResource;
  /** The served pose logs, in the order of the driver's pose outputs. */
  readonly poses: readonly LogResource[];
  /** What it recorded, its errors and why it is offline. */
  readonly stats: SensorStats;
  readonly #driver: SensorDriver;
  readonly #retention: Retention;
  readonly #log: SegmentLog;

  private constructor(
    driver: SensorDriver,
    retention: Retention,
    resource: LogResource,
    poses: LogResource[],
    stats: SensorStats,
  ) {
    this.#driver = driver;
    this.#retention = retention;
    this.stats = stats;
    this.resource = resource;
    this.poses = poses;
    this.#log = resource.log;
  }

  /** The driver's sensor kind and id. */
  get sensor(): { kind: string; sensor_id: string } {
    return this.#driver.description.sensor;
  }

  /**
   * Stops the sensor, withdraws its resources and starts it again (stored
   * calibration is applied anew: a changed registry entry archives the log).
   */
  async restart(context: SensorHostContext): Promise<HostedSensor> {
    await this.stop();
    for (const served of [this.resource, ...this.poses]) {
      context.catalog.delete(served.id);
    }
    return await HostedSensor.start(this.#driver, this.#retention, context);
  }

  /** Registers, opens the log of and starts `driver`. */
  static async start(
    driver: SensorDriver,
    retention: Retention,
    context: SensorHostContext,
  ): Promise<HostedSensor> {
    const { peerId, registry } = context;
    const id = driver.description.sensor.sensor_id;
    const logger = context.logger.child(id);
    try {
      await driver.prepare?.({ now: context.clock.now, logger });
    } catch (error) {
      throw new Error(`sensor "${id}" failed to prepare: ${error}`);
    }
    const unstreamable = unstreamableReason(driver.description);
    if (unstreamable !== undefined) {
      throw new Error(`sensor "${id}": ${unstreamable}`);
    }
    const description = await applyStoredCalibration(
      driver,
      context.storage,
      logger,
    );
    const frame = await registry.put("frame", {
      ...description.frame,
      peer_id: peerId,
    });
    const sensor = await registry.put(
      "sensor",
      { ...description.sensor, peer_id: peerId, frame } as SensorEntry,
    );
    const resource = await openOwnLog(
      { ...context, logger },
      sensorLogSpec(
        {
          peerId,
          sensor,
          clock: context.clock.ref,
          frame,
          nowNs: context.clock.now(),
        },
        {
          sensor: {
            kind: description.sensor.kind,
            type: description.sensor.type,
            sensor_id: id,
            sensor_hash: sensor.hash,
          },
          payload: description.payload,
          expectedRateHz: Math.round(description.rateHz),
        },
        retention,
      ),
    );
    const log = resource.log;
    context.catalog.add(resource);
    let poses: LogResource[];
    try {
      poses = await servePoses(description.poses ?? [], retention, context);
    } catch (error) {
      context.catalog.delete(id);
      await log.close();
      throw new Error(`sensor "${id}" failed to open its pose logs: ${error}`);
    }
    const stats = new SensorStats();
    const host = new HostedSensor(driver, retention, resource, poses, stats);
    const appendFailed = rateLimited(5_000, (m) => logger.error(m));
    const append = (target: SegmentLog, ts: bigint, payload: Uint8Array) => {
      try {
        target.append(ts, payload);
        return true;
      } catch (error) {
        stats.recordErrors++;
        appendFailed(`cannot record a sample: ${error}`);
        return false;
      }
    };
    try {
      await driver.start({
        sample: (payload, timestampNs) => {
          if (append(log, timestampNs, payload)) {
            stats.record(payload.byteLength);
          }
        },
        pose: (output, payload, timestampNs) => {
          const pose = poses[output];
          if (pose === undefined) {
            appendFailed(`cannot record a pose: no pose output ${output}`);
          } else append(pose.log, timestampNs, payload);
        },
        online: () => {
          if (!resource.online) {
            logger.info("online", { event: "online", sensor_id: id });
          }
          stats.online();
          for (const served of [resource, ...poses]) served.goOnline();
        },
        readFailure: (detail) => stats.readFailure(detail),
        offline: (reason, detail) => {
          if (resource.online) {
            logger.warn(`offline: ${detail}`, {
              event: "offline",
              sensor_id: id,
              reason,
              detail,
            });
          }
          stats.offline(detail);
          for (const served of [resource, ...poses]) served.goOffline(reason);
        },
      }, { now: context.clock.now, logger });
    } catch (error) {
      for (const served of [resource, ...poses]) {
        context.catalog.delete(served.id);
        await served.log.close();
      }
      throw new Error(`sensor "${id}" failed to start: ${error}`);
    }
    return host;
  }

  /** The sensor's state now. */
  status(): SensorStatus {
    const device = this.#driver.description.device;
    return {
      id: this.resource.id,
      online: this.resource.online,
      read_failures: this.stats.readFailures,
      last_read_failure: this.stats.lastReadFailure,
      ...(device === undefined ? {} : { device }),
    };
  }

  /** Stops the driver, takes its resources offline and closes their logs. */
  async stop(): Promise<void> {
    await this.#driver.stop();
    this.resource.goOffline("source_ended");
    await this.#log.close();
    for (const pose of this.poses) {
      pose.goOffline("source_ended");
      await pose.log.close();
    }
  }
}

/** Registers the frames of, opens and catalogs each pose output; all or none. */
async function servePoses(
  outputs: readonly PoseOutput[],
  retention: Retention,
  context: SensorHostContext,
): Promise<LogResource[]> {
  const { peerId, registry, catalog } = context;
  const served: LogResource[] = [];
  try {
    for (const output of outputs) {
      const fromFrame = await registry.put("frame", {
        ...output.fromFrame,
        peer_id: peerId,
      });
      const toFrame = await registry.put("frame", {
        ...output.toFrame,
        peer_id: peerId,
      });
      const resource = await openOwnLog(
        context,
        poseLogSpec({
          peerId,
          fromFrame,
          toFrame,
          clock: context.clock.ref,
          writerMode: output.writerMode,
          rateHz: output.rateHz,
          nowNs: context.clock.now(),
        }, retention),
      );
      try {
        catalog.add(resource);
      } catch (error) {
        await resource.log.close();
        throw error;
      }
      served.push(resource);
    }
  } catch (error) {
    for (const resource of served) {
      catalog.delete(resource.id);
      await resource.log.close();
    }
    throw error;
  }
  return served;
}
