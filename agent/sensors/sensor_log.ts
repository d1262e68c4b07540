/**
 * A sensor's log: the manifest the SDK writes for sensor logs, the catalog
 * row serving it, and what counts as the sensor having changed since the
 * log was recorded (opened by `openOwnLog`, catalog/own_log.ts).
 *
 * @module
 */
import type { OwnLogSpec, Retention } from "../catalog/own_log.ts";
import type { SensorSummary } from "../catalog/resource_entry.ts";
import { RegistryRef } from "../../core/registries/entries.ts";

/** What identifies a sensor log's contents. */
export interface SensorLogIdentity {
  /** The writing (and source) peer. */
  peerId: string;
  /** The sensor's registry entry. */
  sensor: RegistryRef;
  /** The clock of the entries' timestamps. */
  clock: RegistryRef;
  /** The sensor's frame. */
  frame: RegistryRef;
  /** Now on `clock`, for a fixed head's `started_at_ns`. */
  nowNs: bigint;
}

/** What the sensor log's catalog row and stream manifest say of the sensor. */
export interface SensorServed {
  /** The sensor summary of the catalog row. */
  sensor: SensorSummary;
  /** Stream manifest payload kind (e.g. `camera_frame`). */
  payload: string;
  /** Nominal sample rate, 0 when unknown. */
  expectedRateHz: number;
}

/**
 * The log of a sensor, resource id the sensor's id. A log recorded for a
 * different sensor entry or frame (the configuration changed) is archived
 * rather than mixed with the new entries; a different retention is applied
 * to the existing log.
 */
export function sensorLogSpec(
  identity: SensorLogIdentity,
  served: SensorServed,
  retention: Retention,
): OwnLogSpec {
  return {
    id: identity.sensor.id,
    fields: {
      sensor: identity.sensor,
      clock: identity.clock,
      frame: identity.frame,
    },
    retention,
    nowNs: identity.nowNs,
    recorded: {
      same: (manifest) => sameRecording(manifest, identity),
      what: `sensor "${identity.sensor.id}"`,
    },
    kind: (log) => ({
      variant: "sensor_log",
      sensor: served.sensor,
      // An existing log keeps the clock it was recorded on.
      manifest: {
        clock: RegistryRef.parse(log.manifest.clock),
        frame: identity.frame,
      },
      payload: served.payload,
      expectedRateHz: served.expectedRateHz,
    }),
  };
}

function sameRecording(
  manifest: Record<string, unknown>,
  identity: SensorLogIdentity,
): boolean {
  const sensor = RegistryRef.safeParse(manifest.sensor);
  const frame = RegistryRef.safeParse(manifest.frame);
  const clock = RegistryRef.safeParse(manifest.clock);
  return sensor.success && frame.success && clock.success &&
    sensor.data.hash === identity.sensor.hash &&
    frame.data.hash === identity.frame.hash &&
    manifest.writer_peer_id === identity.peerId;
}
