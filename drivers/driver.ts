/**
 * The contract between the agent and a sensor driver: a driver describes its
 * sensor (registry body, frame, payload kind) and pushes encoded samples,
 * with their capture time on the UTC clock, into a sink.
 *
 * @module
 */
import type { z } from "zod";
import type { FrameEntry, SensorEntry } from "../core/registries/entries.ts";
import type { Logger } from "../core/logging.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K>
  : never;

/** A sensor registry body without the fields the agent fills in (`peer_id`, `frame`). */
export type SensorBody = DistributiveOmit<SensorEntry, "peer_id" | "frame">;

/**
 * A pose log a driver writes besides its sensor's log: the pose of
 * `toFrame` (child) in `fromFrame` (parent) over time, each entry an encoded
 * `auki.pose.SpatialTransform` (payload kind `spatial_transform`).
 */
export interface PoseOutput {
  /** The parent frame (registered under the agent's peer id). */
  fromFrame: Omit<FrameEntry, "peer_id">;
  /** The child frame (registered under the agent's peer id). */
  toFrame: Omit<FrameEntry, "peer_id">;
  /** `movable` for a time-varying pose, `rigid` for a stationary one. */
  writerMode: "movable" | "rigid";
  /** Nominal entry rate in Hz, 0 when irregular. */
  rateHz: number;
}

/**
 * The device behind a sensor, as its driver names it: shown by `status`,
 * never part of the hashed registry entry (a swapped device of the same
 * kind keeps its log).
 */
export interface DeviceInfo {
  /** Vendor model name. */
  model?: string;
  /** Serial number. */
  serial?: string;
  /** Firmware version. */
  firmware?: string;
}

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
  /** Pose logs the driver also writes (served as `pose_log` resources, online with the sensor). */
  poses?: PoseOutput[];
  /** The device, when the driver names it (not in the registry entry). */
  device?: DeviceInfo;
}

/** Per-joint zero offsets and directions: a published angle is `direction * raw + offset_rad`. */
export interface JointCalibration {
  /** Added to each joint's (direction-applied) reading, radians. */
  offsets_rad: number[];
  /** 1, or -1 for a joint that counts the other way. */
  directions: (1 | -1)[];
}

/** Why a sensor stopped producing (and its resource went offline, ending its streams). */
export type OfflineReason = "source_ended" | "producer_error";

/** Where a driver delivers samples and reports its device state. */
export interface SensorSink {
  /** Records one encoded payload captured at `timestampNs` (UTC clock, ns). */
  sample(payload: Uint8Array, timestampNs: bigint): void;
  /** Records one encoded `SpatialTransform` of pose output `output` (the agent's sink has it; other sinks may not). */
  pose?(output: number, payload: Uint8Array, timestampNs: bigint): void;
  /** The device is producing: its catalog row appears. */
  online(): void;
  /** The device is gone or failing: its row disappears and streams end. */
  offline(reason: OfflineReason, detail: string): void;
  /** Optional: a failed read the session survived (counted, shown by `status`). */
  readFailure?(detail: string): void;
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
  /**
   * The sensor this driver produces. `sensor.sensor_id` is final from
   * construction; the rest, for drivers with {@link prepare}, once it resolved.
   */
  readonly description: SensorDescription;
  /**
   * Optional: learns the description from the driver's library or device.
   * The host awaits it before registering anything; a rejection drops the
   * sensor with the error's message.
   */
  prepare?(context: DriverContext): Promise<void>;
  /**
   * Optional (joint encoder drivers): replaces the configured per-joint zero
   * offsets and directions with the stored calibration (`auki-edge calibrate
   * joints`), or restores the configured ones when `undefined`; the host
   * calls it before {@link start}.
   */
  calibrateJoints?(calibration: JointCalibration | undefined): void;
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
