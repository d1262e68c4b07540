/**
 * Runs one sensor driver inside the agent: registers its frame and sensor
 * entries, records every sample in its log and serves the log as a
 * `sensor_log` resource that is online while the device produces.
 *
 * @module
 */
import type { SensorDriver } from "../../drivers/driver.ts";
import type { Catalog } from "../catalog/catalog.ts";
import { LogResource } from "../catalog/log_resource.ts";
import type { Clock } from "../clocks/clocks.ts";
import type { SegmentLog } from "../logs/log.ts";
import { type Logger, rateLimited } from "../logging.ts";
import type { SensorEntry } from "../registries/entries.ts";
import type { RegistryStore } from "../registries/store.ts";
import { manifestClock, openSensorLog, type Retention } from "./sensor_log.ts";

/** What a hosted sensor needs from the agent. */
export interface SensorHostContext {
  /** This peer's id. */
  peerId: string;
  /** The current session id. */
  sessionId: string;
  /** The clock samples are timestamped with. */
  clock: Clock;
  /** The local registry. */
  registry: RegistryStore;
  /** The catalog the sensor's resource joins. */
  catalog: Catalog;
  /** Storage root. */
  storage: string;
  /** The agent's logger. */
  logger: Logger;
}

/** A driver running in the agent. */
export class HostedSensor {
  /** The served resource. */
  readonly resource: LogResource;
  readonly #driver: SensorDriver;
  readonly #log: SegmentLog;

  private constructor(driver: SensorDriver, resource: LogResource) {
    this.#driver = driver;
    this.resource = resource;
    this.#log = resource.log;
  }

  /** Registers, opens the log of and starts `driver`. */
  static async start(
    driver: SensorDriver,
    retention: Retention,
    context: SensorHostContext,
  ): Promise<HostedSensor> {
    const { peerId, registry } = context;
    const description = driver.description;
    const id = description.sensor.sensor_id;
    const logger = context.logger.child(id);
    const frame = await registry.put("frame", {
      ...description.frame,
      peer_id: peerId,
    });
    const sensor = await registry.put(
      "sensor",
      { ...description.sensor, peer_id: peerId, frame } as SensorEntry,
    );
    const log = await openSensorLog(
      context.storage,
      {
        peerId,
        sessionId: context.sessionId,
        sensor,
        clock: context.clock.ref,
        frame,
        nowNs: context.clock.now(),
      },
      retention,
      logger,
    );
    const resource = new LogResource({
      id,
      sourcePeerId: peerId,
      writerPeerId: peerId,
      log,
      kind: {
        variant: "sensor_log",
        sensor: {
          kind: description.sensor.kind,
          type: description.sensor.type,
          sensor_id: id,
          sensor_hash: sensor.hash,
        },
        manifest: { clock: manifestClock(log), frame },
        payload: description.payload,
        expectedRateHz: description.rateHz,
      },
    });
    context.catalog.add(resource);
    const host = new HostedSensor(driver, resource);
    const appendFailed = rateLimited(5_000, (m) => logger.error(m));
    try {
      await driver.start({
        sample: (payload, timestampNs) => {
          try {
            log.append(timestampNs, payload);
          } catch (error) {
            appendFailed(`cannot record a sample: ${error}`);
          }
        },
        online: () => {
          if (!resource.online) logger.info("online");
          resource.goOnline();
        },
        offline: (reason, detail) => {
          if (resource.online) logger.warn(`offline: ${detail}`);
          resource.goOffline(reason);
        },
      }, { now: context.clock.now, logger });
    } catch (error) {
      context.catalog.delete(id);
      await log.close();
      throw new Error(`sensor "${id}" failed to start: ${error}`);
    }
    return host;
  }

  /** Stops the driver, takes the resource offline and closes its log. */
  async stop(): Promise<void> {
    await this.#driver.stop();
    this.resource.goOffline("source_ended");
    await this.#log.close();
  }
}
