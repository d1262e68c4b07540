/**
 * ResourceEntry, one row of `/auki/resources/0.2.0` (spec wire.md 5.2): the
 * flattened shape with a `variant` tag and a variant-specific `manifest`.
 *
 * @module
 */
import { z } from "zod";
import type { RegistryRef } from "../../core/registries/entries.ts";

/** A JSON integer that may exceed 2^53 (number or bigint in, bigint out). */
export const Int64 = z.union([z.bigint(), z.number().int()]).transform((v) =>
  BigInt(v)
);

/** The variants of 0.2.0 rows. */
export const VARIANTS = [
  "sensor_log",
  "pose_log",
  "time_transform_log",
  "detection_log",
] as const;
/** A 0.2.0 row variant. */
export type Variant = typeof VARIANTS[number];

/** How a live log bounds what it keeps. */
export const Head = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("rolling"), retention_ns: Int64 }),
  z.object({ kind: z.literal("fixed"), started_at_ns: Int64 }),
]);
/** How a live log bounds what it keeps. */
export type Head = z.infer<typeof Head>;

/** The time span of a sealed log. */
export const Extent = z.object({ start_at_ns: Int64, finish_at_ns: Int64 });
/** The time span of a sealed log. */
export type Extent = z.infer<typeof Extent>;

/** What a log can serve now. */
export const Available = z.object({
  bytes: Int64,
  entries: Int64,
  duration_ns: Int64,
});
/** What a log can serve now. */
export type Available = z.infer<typeof Available>;

/** The sensor a `sensor_log` row records. */
export const SensorSummary = z.object({
  kind: z.enum([
    "camera",
    "rangefinder",
    "rf",
    "audio",
    "joint_encoders",
    "scalar",
  ]),
  type: z.string(),
  sensor_id: z.string(),
  sensor_hash: z.string(),
});
/** The sensor a `sensor_log` row records. */
export type SensorSummary = z.infer<typeof SensorSummary>;

/** One catalog row as parsed from a peer (unknown `state` strings are kept). */
export const ResourceEntry = z.object({
  source_peer_id: z.string(),
  writer_peer_id: z.string(),
  resource_id: z.string(),
  state: z.string(),
  head: Head.nullish(),
  extent: Extent.nullish(),
  available: Available,
  sensor: SensorSummary.nullish(),
  pose: z.object({ writer_mode: z.string() }).nullish(),
  variant: z.string(),
  manifest: z.record(z.string(), z.unknown()),
});
/** One catalog row. */
export type ResourceEntry = z.infer<typeof ResourceEntry>;

/** The `/auki/resources/0.2.0` response body. */
export const ResourcesResponse = z.object({
  resources: z.array(ResourceEntry),
});

/** Manifest of a `sensor_log` row. */
export interface SensorLogManifest {
  /** Clock of every entry's timestamp. */
  clock: RegistryRef;
  /** Spatial frame of the sensor. */
  frame?: RegistryRef;
}

/** Manifest of a `time_transform_log` row. */
export interface TimeTransformLogManifest {
  /** Clock the entries' timestamps and offsets start from. */
  from_clock: RegistryRef;
  /** Clock the offsets lead to. */
  to_clock: RegistryRef;
  /** How offsets are measured. */
  source: { kind: "local_clock_read" };
}

/**
 * Where a pose log's transforms come from. Generation A knows `manual` and
 * `ros2_tf`; auki-edge writes `manual` (not relayed from ROS tf).
 */
export interface PoseSource {
  /** The source kind. */
  kind: "manual";
}

/** Manifest of a `pose_log` row. */
export interface PoseLogManifest {
  /** The parent frame. */
  from_frame: RegistryRef;
  /** The child frame whose pose in the parent the entries are. */
  to_frame: RegistryRef;
  /** Clock of every entry's timestamp. */
  clock: RegistryRef;
  /** Where the transforms come from. */
  source: PoseSource;
  /** Nominal entry rate, Hz (0: unspecified). */
  expected_rate_hz: number;
}
