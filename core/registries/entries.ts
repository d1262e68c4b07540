/**
 * Registry entry shapes for sensors, clocks and frames (spec datatypes.md
 * section 5, wire.md section 6.1), as zod schemas over their JSON form.
 *
 * @module
 */
import { z } from "zod";

/** Registry ids: non-empty, no `>`, `@` or whitespace, no empty, `.` or `..` path segments. */
export const RegistryId = z.string().superRefine((id, ctx) => {
  const problem = validateRegistryId(id);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

/** Why an id is not a valid registry id, or `undefined` when it is. */
export function validateRegistryId(id: string): string | undefined {
  if (id.length === 0) return "a registry id must not be empty";
  if (/[>@\s]/.test(id)) {
    return `registry id "${id}" contains '>', '@' or whitespace`;
  }
  if (id.split("/").some((s) => s === "" || s === "." || s === "..")) {
    return `registry id "${id}" has an empty, '.' or '..' path segment`;
  }
  return undefined;
}

/** A content-addressed reference `{peer_id, id, hash}`. */
export const RegistryRef = z.object({
  peer_id: z.string(),
  id: z.string(),
  hash: z.string().regex(/^[0-9a-f]{32}$/),
});
/** A content-addressed reference to a registry entry. */
export type RegistryRef = z.infer<typeof RegistryRef>;

const u32 = z.number().int().min(0).max(0xffff_ffff);
const positiveU32 = u32.min(1);
const finite = z.number().refine(Number.isFinite, "must be finite");

/** Pinhole calibration of the published image, pixels. */
export const CameraCalibration = z.object({
  fx: finite.positive(),
  fy: finite.positive(),
  cx: finite,
  cy: finite,
  // An empty list is omitted, as the SDK writes it.
  distortion_coefficients: z.array(finite)
    .transform((d) => d.length > 0 ? d : undefined).optional(),
});
/** Pinhole calibration of the published image. */
export type CameraCalibration = z.infer<typeof CameraCalibration>;

const sensorHead = {
  peer_id: z.string(),
  sensor_id: RegistryId,
  type: z.string().min(1),
};

/** Camera sensor body (kind `camera`). */
export const CameraSensor = z.object({
  ...sensorHead,
  kind: z.literal("camera"),
  width: positiveU32,
  height: positiveU32,
  frame_rate_hz: u32,
  image_encoding: z.string().min(1),
  pixel_format: z.string().min(1),
  row_stride_bytes: u32,
  color_space: z.string().min(1),
  intrinsics_model: z.string().min(1),
  distortion_model: z.string().min(1),
  calibration: CameraCalibration.optional(),
  frame: RegistryRef,
}).refine(
  (c) => (c.image_encoding === "raw") === (c.row_stride_bytes > 0),
  "raw images need row_stride_bytes > 0; encoded images need row_stride_bytes 0",
);

/** PointCloud2-style field datatypes with their byte widths. */
export const POINT_DATATYPE_BYTES = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
} as const;

/** One field of a packed point record. */
export const PointField = z.object({
  name: z.string().min(1),
  offset: u32,
  datatype: z.enum(
    Object.keys(POINT_DATATYPE_BYTES) as [keyof typeof POINT_DATATYPE_BYTES],
  ),
  count: positiveU32,
});
/** One field of a packed point record. */
export type PointField = z.infer<typeof PointField>;

/**
 * auki-edge's optional rangefinder keys (README "Payloads"): what the
 * `intensity` field means and its scale, the measurable range, and the
 * direction a spinning lidar sweeps (seen from +z of its frame). Extra keys
 * are hashed with the entry and ignored by a Rust reader, which hashes
 * `canonical_json` as received before parsing it (spec wire.md 6.4).
 */
const rangefinderExtension = {
  intensity_meaning: z.string().min(1).optional(),
  intensity_min: finite.optional(),
  intensity_max: finite.optional(),
  range_min_m: finite.min(0).optional(),
  range_max_m: finite.positive().optional(),
  scan_direction: z.enum(["clockwise", "counterclockwise"]).optional(),
};

/** Rangefinder sensor body (kind `rangefinder`). */
export const RangefinderSensor = z.object({
  ...sensorHead,
  kind: z.literal("rangefinder"),
  fields: z.array(PointField).min(1),
  point_step: positiveU32,
  is_bigendian: z.boolean(),
  frame_rate_hz: u32,
  frame: RegistryRef,
  ...rangefinderExtension,
}).refine(
  (r) =>
    r.fields.every((f) =>
      f.offset + POINT_DATATYPE_BYTES[f.datatype] * f.count <= r.point_step
    ),
  "every point field must lie inside point_step",
);

/** RF sensor body (kind `rf`, type `uwb`, `wifi` or `bluetooth`). */
const RfSensor = z.object({
  ...sensorHead,
  kind: z.literal("rf"),
  frame: RegistryRef,
});

/** Audio sensor body (kind `audio`). */
const AudioSensor = z.object({
  ...sensorHead,
  kind: z.literal("audio"),
  sample_rate_hz: positiveU32,
  channels: positiveU32,
  sample_format: z.string().min(1),
  channel_layout: z.string().min(1),
  frame: RegistryRef,
});

/** Joint encoder bank body (kind `joint_encoders`). */
const JointEncodersSensor = z.object({
  ...sensorHead,
  kind: z.literal("joint_encoders"),
  joint_count: positiveU32,
  frame_rate_hz: u32,
  frame: RegistryRef,
  // auki-edge's optional key: the joints' device ids in published order.
  servo_ids: z.array(u32).optional(),
  // auki-edge's optional keys: the offsets and directions in force (the
  // stored calibration, else the driver's configured ones),
  // angle = direction * raw + offset.
  joint_offsets_rad: z.array(finite).optional(),
  joint_directions: z.array(z.union([z.literal(1), z.literal(-1)]))
    .optional(),
}).refine(
  (j) => j.servo_ids === undefined || j.servo_ids.length === j.joint_count,
  "servo_ids must list one id per joint",
).refine(
  (j) =>
    (j.joint_offsets_rad?.length ?? j.joint_count) === j.joint_count &&
    (j.joint_directions?.length ?? j.joint_count) === j.joint_count,
  "joint_offsets_rad and joint_directions must list one value per joint",
);

/** Scalar sensor body (kind `scalar`). */
const ScalarSensor = z.object({
  ...sensorHead,
  kind: z.literal("scalar"),
  unit: z.string().min(1),
  expected_rate_hz: positiveU32,
});

/** A Sensor Registry entry of any kind, tagged by `kind`. */
export const SensorEntry = z.discriminatedUnion("kind", [
  CameraSensor,
  RangefinderSensor,
  RfSensor,
  AudioSensor,
  JointEncodersSensor,
  ScalarSensor,
]);
/** A Sensor Registry entry of any kind. */
export type SensorEntry = z.infer<typeof SensorEntry>;

/** A Clock Registry entry (`type` is `monotonic_clock` or `utc_clock`). */
export const ClockEntry = z.object({
  peer_id: z.string(),
  session_id: z.string().min(1),
  clock_id: RegistryId,
  type: z.enum(["monotonic_clock", "utc_clock"]),
  unit: z.string().min(1),
  monotonic: z.boolean(),
  epoch: z.string().nullable(),
  scope: z.enum(["device-local", "domain-local", "global"]),
});
/** A Clock Registry entry. */
export type ClockEntry = z.infer<typeof ClockEntry>;

const Direction = z.enum([
  "forward",
  "backward",
  "up",
  "down",
  "left",
  "right",
]);
const AXIS_OF = {
  forward: "fb",
  backward: "fb",
  up: "ud",
  down: "ud",
  left: "lr",
  right: "lr",
} as const;

/** A Frame Registry entry: axis convention, handedness and length unit. */
export const FrameEntry = z.object({
  peer_id: z.string(),
  frame_id: RegistryId,
  handedness: z.enum(["right", "left"]),
  axes: z.object({ x: Direction, y: Direction, z: Direction }),
  units: z.enum(["meters", "millimeters", "centimeters"]),
}).refine(
  (f) =>
    new Set([f.axes.x, f.axes.y, f.axes.z].map((d) => AXIS_OF[d])).size === 3,
  "frame axes must come from three distinct axis pairs",
);
/** A Frame Registry entry. */
export type FrameEntry = z.infer<typeof FrameEntry>;

/** Axis presets from the SDK (spec datatypes.md section 5). */
export const FRAME_PRESETS = {
  ros_body: { handedness: "right", axes: { x: "forward", y: "left", z: "up" } },
  ros_optical: {
    handedness: "right",
    axes: { x: "right", y: "down", z: "forward" },
  },
  opengl: { handedness: "right", axes: { x: "right", y: "up", z: "backward" } },
  unity: { handedness: "left", axes: { x: "right", y: "up", z: "forward" } },
} as const satisfies Record<
  string,
  Pick<FrameEntry, "handedness" | "axes">
>;

/** The registry kinds `/auki/registries/0.2.0` names. */
export const REGISTRY_KINDS = [
  "sensor",
  "clock",
  "frame",
  "detector",
  "map",
] as const;
/** A registry kind of `/auki/registries/0.2.0`. */
export type RegistryKind = typeof REGISTRY_KINDS[number];

/** The id field of an entry of the given kind. */
export function entryId(
  kind: "sensor" | "clock" | "frame",
  entry: SensorEntry | ClockEntry | FrameEntry,
): string {
  switch (kind) {
    case "sensor":
      return (entry as SensorEntry).sensor_id;
    case "clock":
      return (entry as ClockEntry).clock_id;
    case "frame":
      return (entry as FrameEntry).frame_id;
  }
}
