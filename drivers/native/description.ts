/**
 * Validation of the JSON a native driver's `aed_describe` returns, turning
 * it into the agent's {@link SensorDescription}: the sensor body is checked
 * against the registry schemas, the payload kind against the sensor kind,
 * and the frame defaults to the convention of the kind. The optional
 * `device` (model, serial, firmware) is kept out of the registry entry.
 *
 * @module
 */
import { z } from "zod";
import {
  FRAME_PRESETS,
  FrameEntry,
  SensorEntry,
} from "../../core/registries/entries.ts";
import type { SensorBody, SensorDescription } from "../driver.ts";

/** The payload kinds the loader encodes, by sensor kind (ffi/README.md). */
const PAYLOADS_BY_KIND: Readonly<Record<string, readonly string[]>> = {
  camera: ["camera_frame"],
  rangefinder: ["point_cloud_frame"],
  joint_encoders: ["joint_encoders_frame"],
  rf: ["auki_edge.rf.uwb", "auki_edge.rf.wifi_csi"],
};

const RF_TYPE_OF_PAYLOAD: Readonly<Record<string, string>> = {
  "auki_edge.rf.uwb": "uwb",
  "auki_edge.rf.wifi_csi": "wifi",
};

const NativeDescription = z.object({
  payload: z.string().min(1),
  rate_hz: z.number().min(0).max(100_000),
  max_sample_bytes: z.number().int().positive().optional(),
  sensor: z.looseObject({ kind: z.string(), type: z.string() }),
  frame: z.looseObject({}).optional(),
  device: z.object({
    model: z.string().min(1).max(256).optional(),
    serial: z.string().min(1).max(256).optional(),
    firmware: z.string().min(1).max(256).optional(),
  }).optional(),
});

/** A validated native driver description. */
export interface NativeDescription {
  /** What the agent registers and serves. */
  description: SensorDescription;
  /** The driver's bound on sample sizes, when it gave one. */
  maxSampleBytes?: number;
}

/** Names of the sensor and frame, chosen in the agent's configuration. */
export interface DescriptionIds {
  /** The sensor id (catalog `resource_id`). */
  sensorId: string;
  /** The frame id; defaults to `<sensor id>_optical` (cameras) or `<sensor id>_link`. */
  frameId?: string;
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) =>
    `${i.path.length > 0 ? `${i.path.join(".")}: ` : ""}${i.message}`
  ).join("; ");
}

/** Parses and validates `json`; throws an Error saying what is wrong. */
export function parseDescription(
  json: string,
  ids: DescriptionIds,
): NativeDescription {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(
      `the description is not JSON (${(error as Error).message}): ${
        json.slice(0, 80)
      }`,
    );
  }
  const parsed = NativeDescription.safeParse(value);
  if (!parsed.success) {
    throw new Error(`invalid description: ${issues(parsed.error)}`);
  }
  const { payload, sensor, rate_hz, max_sample_bytes, device } = parsed.data;
  const payloads = PAYLOADS_BY_KIND[sensor.kind];
  if (payloads === undefined) {
    throw new Error(
      `sensor kind "${sensor.kind}" is not hosted by the native loader (${
        Object.keys(PAYLOADS_BY_KIND).join(", ")
      })`,
    );
  }
  if (!payloads.includes(payload)) {
    throw new Error(
      `payload "${payload}" does not fit sensor kind "${sensor.kind}" (expected ${
        payloads.join(" or ")
      })`,
    );
  }
  const rfType = RF_TYPE_OF_PAYLOAD[payload];
  if (rfType !== undefined && sensor.type !== rfType) {
    throw new Error(
      `payload "${payload}" needs sensor type "${rfType}", got "${sensor.type}"`,
    );
  }
  const camera = sensor.kind === "camera";
  const frameId = ids.frameId ??
    `${ids.sensorId}_${camera ? "optical" : "link"}`;
  const frame = FrameEntry.safeParse({
    ...(camera ? FRAME_PRESETS.ros_optical : FRAME_PRESETS.ros_body),
    units: "meters",
    ...parsed.data.frame,
    peer_id: "",
    frame_id: frameId,
  });
  if (!frame.success) {
    throw new Error(`invalid description frame: ${issues(frame.error)}`);
  }
  const entry = SensorEntry.safeParse({
    ...sensor,
    peer_id: "",
    sensor_id: ids.sensorId,
    frame: { peer_id: "", id: frameId, hash: "0".repeat(32) },
  });
  if (!entry.success) {
    throw new Error(`invalid description sensor: ${issues(entry.error)}`);
  }
  const { peer_id: _peer, frame: _ref, ...body } = entry.data as SensorEntry & {
    frame?: unknown;
  };
  const { peer_id: _framePeer, ...frameBody } = frame.data;
  return {
    description: {
      sensor: body as SensorBody,
      frame: frameBody,
      payload,
      rateHz: rate_hz,
      ...(device === undefined ? {} : { device }),
    },
    maxSampleBytes: max_sample_bytes,
  };
}
