/**
 * The contract between the agent and a sensor driver: a driver describes its
 * sensor (registry body, frame, payload kind) and pushes encoded samples,
 * with their capture time on the UTC clock, into a sink.
 *
 * @module
 */
import type { z } from "zod";
import type { FrameEntry, SensorEntry } from "../agent/registries/entries.ts";
import type { Logger } from "../agent/logging.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K>
  : never;

/** A sensor registry body without the fields the agent fills in (`peer_id`, `frame`). */
export type SensorBody = DistributiveOmit<SensorEntry, "peer_id" | "frame">;

/** What a driver's sensor is, as the registries and stream manifest publish it. */
export interface SensorDescription {
  /** Sensor registry body; `sensor_id` is also the catalog `resource_id`. */
  sensor: SensorBody;
  /** The sensor's spatial frame (registered under the agent's peer id). */
  frame: Omit<FrameEntry, "peer_id">;
  /** Stream manifest payload kind, e.g. `camera_frame`. */
  payload: string;
  /** Nominal sample rate in Hz, 0 when irregular. */
  rateHz: number;
}

/** Why a sensor stopped producing. */
export type OfflineReason = "source_ended" | "producer_error";

/** Where a driver delivers samples and reports its device state. */
export interface SensorSink {
  /** Records one encoded payload captured at `timestampNs` (UTC clock, ns). */
  sample(payload: Uint8Array, timestampNs: bigint): void;
  /** The device is producing: its catalog row appears. */
  online(): void;
  /** The device is gone or failing: its row disappears and streams end. */
  offline(reason: OfflineReason, detail: string): void;
}

/** What the agent gives a driver to run with. */
export interface DriverContext {
  /** Reads the UTC clock in ns; timestamp samples with it at capture. */
  now(): bigint;
  /** The driver's logger. */
  logger: Logger;
}

/** A running source of one sensor's samples. */
export interface SensorDriver {
  /** The sensor this driver produces. */
  readonly description: SensorDescription;
  /** Starts producing into `sink`; resolves once started. */
  start(sink: SensorSink, context: DriverContext): Promise<void>;
  /** Stops producing and releases the device. */
  stop(): Promise<void>;
}

/** A driver kind selectable in the configuration file by `driver` name. */
export interface DriverFactory<Schema extends z.ZodType = z.ZodType> {
  /** The `driver` value selecting it, e.g. `sim.camera`. */
  name: string;
  /** One line for listings. */
  summary: string;
  /** Validates the driver's configuration object. */
  config: Schema;
  /** Log retention in seconds when the configuration sets none (high-rate sensors keep less). */
  defaultRetentionS?: number;
  /** Builds a driver from validated configuration. */
  create(config: z.output<Schema>): SensorDriver;
}
