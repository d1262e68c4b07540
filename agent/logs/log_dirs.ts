/**
 * Where logs live: `<storage>/logs/<writer_peer_id>/<resource_id>/`, the
 * resource id percent-encoded into one path segment (ids may hold `/` and `>`).
 *
 * @module
 */
import { join } from "node:path";

/** The directory of `resourceId`'s log written by `writerPeerId`. */
export function logDir(
  storage: string,
  writerPeerId: string,
  resourceId: string,
): string {
  return join(storage, "logs", writerPeerId, encodeURIComponent(resourceId));
}

/** Segment duration for a retention: a tenth of it, within 100 ms and 60 s. */
export function segmentDurationFor(retentionNs: bigint): bigint {
  const min = 100_000_000n;
  const max = 60_000_000_000n;
  if (retentionNs === 0n) return max;
  const tenth = retentionNs / 10n;
  return tenth < min ? min : tenth > max ? max : tenth;
}
