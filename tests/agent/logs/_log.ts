/**
 * Shared helpers of the segment log and cursor tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LogCursor, LogEntry } from "../../../agent/logs/cursor.ts";
import type {
  LogOptions,
  ReadFrom,
  SegmentLog,
} from "../../../agent/logs/log.ts";
import type { Logger } from "../../../core/logging.ts";

/** Log options with the given segment duration, retention and cache. */
export function options(
  duration: bigint,
  retention: bigint,
  cacheBytes = 1 << 20,
  logger?: Logger,
): LogOptions {
  return {
    manifest: {
      segment_duration_ns: duration,
      retention_ns: retention,
      app_id: "log-test",
    },
    cacheBytes,
    logger,
  };
}

/** A payload that encodes its timestamp and a sequence number. */
export function payload(seq: number, size = 8): Uint8Array {
  const out = new Uint8Array(Math.max(size, 4));
  new DataView(out.buffer).setUint32(0, seq, true);
  for (let i = 4; i < out.byteLength; i++) out[i] = (seq + i) & 0xff;
  return out;
}

/** Reads what is available now (never waits), then closes the cursor. */
export async function drain(
  log: SegmentLog,
  from: ReadFrom,
): Promise<LogEntry[]> {
  const cursor = await log.cursor(from);
  try {
    return await readAvailable(log, cursor);
  } finally {
    cursor.close();
  }
}

/** Reads the entries available now from `cursor` (never waits). */
export async function readAvailable(
  log: SegmentLog,
  cursor: LogCursor,
): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  while (cursor.index < log.nextIndex) {
    const entry = await cursor.next();
    assert.ok(entry !== null);
    out.push({ ...entry, payload: Uint8Array.from(entry.payload) });
  }
  return out;
}

/** Index, timestamp and sequence number of each entry. */
export function summary(entries: LogEntry[]): [number, bigint, number][] {
  return entries.map((e) => [
    e.index,
    e.timestampNs,
    new DataView(e.payload.buffer, e.payload.byteOffset).getUint32(0, true),
  ]);
}

/** The file names in the log's `segments` directory, sorted. */
export async function segmentNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of Deno.readDir(join(dir, "segments"))) {
    names.push(item.name);
  }
  return names.sort();
}
