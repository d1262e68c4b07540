/**
 * A resource this agent serves from one of its logs: what its catalog row and
 * stream manifest say, and whether it can accept a stream open right now.
 *
 * @module
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamManifestSchema } from "../../core/proto/gen/auki/stream_pb.ts";
import type { OfflineReason } from "../../drivers/driver.ts";
import type { SegmentLog } from "../logs/log.ts";
import type { RegistryRef } from "../../core/registries/entries.ts";
import type {
  Extent,
  Head,
  PoseLogManifest,
  ResourceEntry,
  SensorLogManifest,
  SensorSummary,
  TimeTransformLogManifest,
  Variant,
} from "./resource_entry.ts";

/** What distinguishes a resource's variant. */
export type ResourceKind =
  | {
    variant: "sensor_log";
    /** The sensor summary of the catalog row. */
    sensor: SensorSummary;
    /** Clock and frame of the row's manifest. */
    manifest: SensorLogManifest;
    /** Stream manifest payload kind (e.g. `camera_frame`). */
    payload: string;
    /** Nominal sample rate, 0 when unknown. */
    expectedRateHz: number;
  }
  | {
    variant: "time_transform_log";
    /** From and to clocks of the row's manifest. */
    manifest: TimeTransformLogManifest;
  }
  | {
    variant: "pose_log";
    /** `movable` for a time-varying pose, `rigid` for a stationary one. */
    writerMode: "movable" | "rigid";
    /** Frames, clock, source and rate of the row's manifest. */
    manifest: PoseLogManifest;
  };

/** Stream manifest payload kind of time transform logs (not named upstream). */
export const TIME_TRANSFORM_PAYLOAD = "time_transform";
/** Stream manifest payload kind of pose logs (`auki.pose.SpatialTransform`). */
const POSE_PAYLOAD = "spatial_transform";

/** A log this agent serves, with its online state. */
export class LogResource {
  /** The row's `resource_id`. */
  readonly id: string;
  /** The log's source (this peer for logs it records). */
  readonly sourcePeerId: string;
  /** The peer writing the log (this peer). */
  readonly writerPeerId: string;
  /** The recorded entries. */
  readonly log: SegmentLog;
  /** Variant-specific description. */
  readonly kind: ResourceKind;
  /** Set for a sealed log (complete, never appended to): its time span. */
  readonly extent: Extent | undefined;
  #online = false;
  readonly #offlineListeners = new Set<(reason: OfflineReason) => void>();

  /** Describes a resource served from `log`; it starts offline. */
  constructor(init: {
    id: string;
    sourcePeerId: string;
    writerPeerId: string;
    log: SegmentLog;
    kind: ResourceKind;
    extent?: Extent;
  }) {
    this.id = init.id;
    this.sourcePeerId = init.sourcePeerId;
    this.writerPeerId = init.writerPeerId;
    this.log = init.log;
    this.kind = init.kind;
    this.extent = init.extent;
  }

  /** The variant tag of its catalog row. */
  get variant(): Variant {
    return this.kind.variant;
  }

  /** Whether it can accept a stream open (and so appears in the catalog). */
  get online(): boolean {
    return this.#online;
  }

  /** Marks it online: its row appears and stream opens are accepted. */
  goOnline(): void {
    this.#online = true;
  }

  /** Marks it offline: its row disappears and open streams are ended. */
  goOffline(reason: OfflineReason): void {
    if (!this.#online) return;
    this.#online = false;
    for (const listener of [...this.#offlineListeners]) listener(reason);
  }

  /** Calls `listener` when it goes offline; returns the unsubscribe function. */
  onOffline(listener: (reason: OfflineReason) => void): () => void {
    this.#offlineListeners.add(listener);
    return () => this.#offlineListeners.delete(listener);
  }

  /** Its head, from the log's retention. */
  head(): Head {
    const retention = this.log.manifest.retention_ns;
    if (retention > 0n) return { kind: "rolling", retention_ns: retention };
    const started = this.log.manifest.started_at_ns;
    return {
      kind: "fixed",
      started_at_ns: typeof started === "bigint" || typeof started === "number"
        ? BigInt(started)
        : 0n,
    };
  }

  /** Its catalog row, with `available` read live from the log. */
  row(): ResourceEntry {
    const available = this.log.available();
    const common = {
      source_peer_id: this.sourcePeerId,
      writer_peer_id: this.writerPeerId,
      resource_id: this.id,
      ...(this.extent === undefined
        ? { state: "live", head: this.head() }
        : { state: "sealed", extent: this.extent }),
      available: {
        bytes: available.bytes,
        entries: available.entries,
        duration_ns: available.durationNs,
      },
    };
    switch (this.kind.variant) {
      case "sensor_log":
        return {
          ...common,
          sensor: this.kind.sensor,
          variant: "sensor_log",
          manifest: { ...this.kind.manifest },
        };
      case "time_transform_log":
        return {
          ...common,
          variant: "time_transform_log",
          manifest: { ...this.kind.manifest },
        };
      case "pose_log":
        return {
          ...common,
          pose: { writer_mode: this.kind.writerMode },
          variant: "pose_log",
          manifest: { ...this.kind.manifest },
        };
    }
  }

  /** The stream manifest sent as the accept of a subscription. */
  streamManifest(): MessageInitShape<typeof StreamManifestSchema> {
    switch (this.kind.variant) {
      case "sensor_log": {
        const { sensor, manifest } = this.kind;
        return {
          sensorId: sensor.sensor_id,
          sensorHash: sensor.sensor_hash,
          ...clockFields(manifest.clock),
          frameId: manifest.frame?.id ?? "",
          frameHash: manifest.frame?.hash ?? "",
          resourceId: this.id,
          payload: this.kind.payload,
          expectedRateHz: this.kind.expectedRateHz,
        };
      }
      case "time_transform_log":
        return {
          ...clockFields(this.kind.manifest.from_clock),
          resourceId: this.id,
          payload: TIME_TRANSFORM_PAYLOAD,
        };
      case "pose_log": {
        const { manifest, writerMode } = this.kind;
        return {
          ...clockFields(manifest.clock),
          resourceId: this.id,
          payload: POSE_PAYLOAD,
          fromFrameId: manifest.from_frame.id,
          fromFrameHash: manifest.from_frame.hash,
          toFrameId: manifest.to_frame.id,
          toFrameHash: manifest.to_frame.hash,
          writerMode,
          expectedRateHz: manifest.expected_rate_hz,
        };
      }
    }
  }
}

function clockFields(clock: RegistryRef) {
  return {
    clockId: clock.id,
    clockHash: clock.hash,
    clockPeerId: clock.peer_id,
  };
}
