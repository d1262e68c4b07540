/**
 * Helpers of the rangefinder driver tests: a published scan decoded back
 * into polar points, and the intensity and range fields of a sensor entry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { PointCloudDataSchema } from "../../../core/proto/payload_schemas.ts";
import type { SensorEntry } from "../../../core/registries/entries.ts";
import { POINT_STEP } from "../../../drivers/rangefinder/lidar2d.ts";

/** One point of a planar scan: device angle (clockwise), range and intensity. */
export interface ScanPoint {
  /** Angle in degrees, clockwise from the device's forward axis, in [0, 360). */
  angleDeg: number;
  /** Range in millimetres. */
  distanceMm: number;
  /** The published intensity. */
  intensity: number;
}

/** Decodes a published planar scan (every z is 0) into polar points. */
export function scanPoints(payload: Uint8Array): ScanPoint[] {
  const { data } = fromBinary(PointCloudDataSchema, payload);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const points = [];
  for (let at = 0; at < data.byteLength; at += POINT_STEP) {
    const x = view.getFloat32(at, true);
    const y = view.getFloat32(at + 4, true);
    assert.equal(view.getFloat32(at + 8, true), 0);
    points.push({
      angleDeg: ((Math.atan2(-y, x) * 180 / Math.PI) + 360) % 360,
      distanceMm: Math.hypot(x, y) * 1000,
      intensity: view.getFloat32(at + 12, true),
    });
  }
  return points;
}

/**
 * A rangefinder entry's intensity meaning and bounds, range bounds and scan
 * direction, in that order (asserts the entry is a rangefinder).
 */
export function intensityAndRange(sensor: SensorEntry): unknown[] {
  assert.ok(sensor.kind === "rangefinder");
  return [
    sensor.intensity_meaning,
    sensor.intensity_min,
    sensor.intensity_max,
    sensor.range_min_m,
    sensor.range_max_m,
    sensor.scan_direction,
  ];
}
