/**
 * The one way this agent opens a log it writes and serves it: sensor logs,
 * pose logs, static transforms, the session-to-UTC time transform log and
 * the domain-clock log all go through {@link openOwnLog}, which writes the
 * common manifest fields, archives a log that recorded something else, and
 * applies the retention asked for.
 *
 * @module
 */
import { join } from "node:path";
import { SegmentLog } from "../logs/log.ts";
import { logDir, segmentDurationFor } from "../logs/log_dirs.ts";
import { readManifest } from "../logs/manifest.ts";
import type { Logger } from "../../core/logging.ts";
import { LogResource, type ResourceKind } from "./log_resource.ts";
import type { Extent } from "./resource_entry.ts";

/** The application id written into log manifests. */
const APP_ID = "auki-edge";

/** How much of a log to keep. */
export interface Retention {
  /** Rolling window in ns; 0 keeps everything (a `fixed` head). */
  retentionNs: bigint;
  /** Bytes of recent entries kept in memory. */
  cacheBytes: number;
}

/** Where and as whom the agent writes its logs. */
export interface OwnLogContext {
  /** Storage root (`<storage>/logs/<peer>/<resource>/`). */
  storage: string;
  /** The writing (and source) peer. */
  peerId: string;
  /** The current session id. */
  sessionId: string;
  /** Where warnings go. */
  logger: Logger;
}

/** One log the agent writes and serves. */
export interface OwnLogSpec {
  /** Its resource id (and the name of its directory). */
  id: string;
  /** The variant's manifest fields, written into a new log's manifest. */
  fields: Record<string, unknown>;
  /** How much of it to keep; an existing log takes this retention. */
  retention: Retention;
  /** Now on the entries' clock, for a fixed head's `started_at_ns`. */
  nowNs: bigint;
  /** The served row's description, from the opened log (its manifest is ground truth). */
  kind(log: SegmentLog): ResourceKind;
  /**
   * Set for logs whose recording can change (sensor, frames): an existing
   * log `same` rejects, or with an unreadable manifest, is moved to
   * `<storage>/archive/<peer>/<resource>/<time>/`; `what` names it in the
   * warning.
   */
  recorded?: { same(manifest: Record<string, unknown>): boolean; what: string };
  /** Set for a sealed log: its time span. */
  extent?: Extent;
}

/**
 * Opens (creating when absent) the log `spec` describes and returns the
 * resource serving it, offline until told otherwise.
 */
export async function openOwnLog(
  context: OwnLogContext,
  spec: OwnLogSpec,
): Promise<LogResource> {
  const { peerId, logger } = context;
  const dir = logDir(context.storage, peerId, spec.id);
  if (spec.recorded !== undefined) {
    await archiveChanged(context, spec.id, dir, spec.recorded);
  }
  const { retentionNs, cacheBytes } = spec.retention;
  const log = await SegmentLog.open(dir, {
    manifest: {
      app_id: APP_ID,
      session_id: context.sessionId,
      source_peer_id: peerId,
      writer_peer_id: peerId,
      ...spec.fields,
      segment_duration_ns: segmentDurationFor(retentionNs),
      retention_ns: retentionNs,
      ...(retentionNs === 0n ? { started_at_ns: spec.nowNs } : {}),
    },
    cacheBytes,
    logger,
  });
  if (log.manifest.retention_ns !== retentionNs) {
    await log.setRetention(retentionNs);
  }
  return new LogResource({
    id: spec.id,
    sourcePeerId: peerId,
    writerPeerId: peerId,
    log,
    kind: spec.kind(log),
    extent: spec.extent,
  });
}

/**
 * Moves the log in `dir` to `<storage>/archive/<peer>/<resource>/<time>/`
 * when its manifest is unreadable or `recorded.same` rejects it (what it
 * records changed), so old and new entries are never mixed.
 */
async function archiveChanged(
  context: OwnLogContext,
  resourceId: string,
  dir: string,
  recorded: { same(manifest: Record<string, unknown>): boolean; what: string },
): Promise<void> {
  const { logger } = context;
  const existing = await readManifest(dir).catch((error) => {
    logger.warn(
      `log ${dir} has an unreadable manifest (${error}); archiving it`,
    );
    return null;
  });
  if (
    existing === undefined || (existing !== null && recorded.same(existing))
  ) return;
  const archive = join(
    context.storage,
    "archive",
    context.peerId,
    encodeURIComponent(resourceId),
    new Date().toISOString().replaceAll(":", ""),
  );
  await Deno.mkdir(join(archive, ".."), { recursive: true });
  await Deno.rename(dir, archive);
  logger.warn(
    `${recorded.what} changed since its log was recorded; the old log was moved to ${archive}`,
  );
}
