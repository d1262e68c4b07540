/**
 * Opening a sensor's log: the manifest the SDK writes for sensor logs, and
 * what happens when the sensor changed since the log was recorded.
 *
 * @module
 */
import { join } from "node:path";
import { SegmentLog } from "../logs/log.ts";
import { readManifest } from "../logs/manifest.ts";
import { logDir, segmentDurationFor } from "../logs/log_dirs.ts";
import { RegistryRef } from "../../core/registries/entries.ts";
import type { Logger } from "../../core/logging.ts";

/** How much of a log to keep. */
export interface Retention {
  /** Rolling window in ns; 0 keeps everything (a `fixed` head). */
  retentionNs: bigint;
  /** Bytes of recent entries kept in memory. */
  cacheBytes: number;
}

/** What identifies a sensor log's contents. */
export interface SensorLogIdentity {
  /** The writing (and source) peer. */
  peerId: string;
  /** The current session. */
  sessionId: string;
  /** The sensor's registry entry. */
  sensor: RegistryRef;
  /** The clock of the entries' timestamps. */
  clock: RegistryRef;
  /** The sensor's frame. */
  frame: RegistryRef;
  /** Now on `clock`, for a fixed head's `started_at_ns`. */
  nowNs: bigint;
}

/** The application id written into log manifests. */
export const APP_ID = "auki-edge";

/**
 * Opens the log of a sensor. A log recorded for a different sensor entry or
 * frame (the configuration changed) is moved to
 * `<storage>/archive/<peer>/<resource>/<time>/` rather than mixed with the
 * new entries; a different retention is applied to the existing log.
 */
export async function openSensorLog(
  storage: string,
  identity: SensorLogIdentity,
  retention: Retention,
  logger: Logger,
): Promise<SegmentLog> {
  const dir = logDir(storage, identity.peerId, identity.sensor.id);
  await archiveChanged(
    { storage, peerId: identity.peerId, resourceId: identity.sensor.id, dir },
    (manifest) => sameRecording(manifest, identity),
    `sensor "${identity.sensor.id}"`,
    logger,
  );
  return await openOwnLog(
    dir,
    identity,
    {
      sensor: identity.sensor,
      clock: identity.clock,
      frame: identity.frame,
    },
    retention,
    logger,
  );
}

/**
 * Opens the log in `dir` that this peer writes in its session: a new one
 * gets the common manifest fields and the variant's `fields`; an existing
 * one takes `retention`.
 */
export async function openOwnLog(
  dir: string,
  owner: { peerId: string; sessionId: string; nowNs: bigint },
  fields: Record<string, unknown>,
  retention: Retention,
  logger: Logger,
): Promise<SegmentLog> {
  const log = await SegmentLog.open(dir, {
    manifest: {
      app_id: APP_ID,
      session_id: owner.sessionId,
      source_peer_id: owner.peerId,
      writer_peer_id: owner.peerId,
      ...fields,
      segment_duration_ns: segmentDurationFor(retention.retentionNs),
      retention_ns: retention.retentionNs,
      ...(retention.retentionNs === 0n ? { started_at_ns: owner.nowNs } : {}),
    },
    cacheBytes: retention.cacheBytes,
    logger,
  });
  if (log.manifest.retention_ns !== retention.retentionNs) {
    await log.setRetention(retention.retentionNs);
  }
  return log;
}

/**
 * Moves the log in `log.dir` to
 * `<storage>/archive/<peer>/<resource>/<time>/` when its manifest is
 * unreadable or `same` rejects it (what it records changed), so old and new
 * entries are never mixed; `what` names it in the warning.
 */
export async function archiveChanged(
  log: { storage: string; peerId: string; resourceId: string; dir: string },
  same: (manifest: Record<string, unknown>) => boolean,
  what: string,
  logger: Logger,
): Promise<void> {
  const existing = await readManifest(log.dir).catch((error) => {
    logger.warn(
      `log ${log.dir} has an unreadable manifest (${error}); archiving it`,
    );
    return null;
  });
  if (existing === undefined || (existing !== null && same(existing))) return;
  const archive = join(
    log.storage,
    "archive",
    log.peerId,
    encodeURIComponent(log.resourceId),
    new Date().toISOString().replaceAll(":", ""),
  );
  await Deno.mkdir(join(archive, ".."), { recursive: true });
  await Deno.rename(log.dir, archive);
  logger.warn(
    `${what} changed since its log was recorded; the old log was moved to ${archive}`,
  );
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

/** The clock reference a sensor log's manifest records. */
export function manifestClock(log: SegmentLog): RegistryRef {
  return RegistryRef.parse(log.manifest.clock);
}
