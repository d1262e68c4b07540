/**
 * A segmented, retention-bounded log on disk with a bounded cache of recent
 * entries in memory (spec datatypes.md section 4). Readers are cursors
 * (cursor.ts) opened at a read position.
 *
 * Small entries are written synchronously as they are appended. Large ones
 * (camera frames) are written off the event loop, in order, and become
 * readable once written, so a multi-megabyte write never blocks the agent.
 *
 * @module
 */
import { join } from "node:path";
import { type LogManifest, readManifest, writeManifest } from "./manifest.ts";
import {
  type CachedEntry,
  type CursorSource,
  type EntryPosition,
  LogCursor,
  type SegmentSpan,
} from "./cursor.ts";
import { EntryCache } from "./entry_cache.ts";
import {
  encodeEntryHeader,
  encodeSegmentHeader,
  ENTRY_HEADER_BYTES,
  loadSegments,
  parseEntryHeader,
  readFull,
  type Segment,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
  segmentStart,
} from "./segment.ts";
import { type Logger, silentLogger } from "../../core/logging.ts";

/** Where a cursor starts (the stream protocol's read positions). */
export type ReadFrom =
  | { kind: "latest" }
  | { kind: "start" }
  | { kind: "timestamp"; timestampNs: bigint };

/** What the log holds on disk, as the catalog's `available` reports it. */
export interface LogAvailability {
  /** Sum of payload bytes. */
  bytes: bigint;
  /** Number of entries. */
  entries: bigint;
  /** Newest minus oldest timestamp, ns. */
  durationNs: bigint;
}

/** Options of {@link SegmentLog.open}. */
export interface LogOptions {
  /** The manifest to write when the directory holds no log yet. */
  manifest: LogManifest;
  /** Bytes of recent entries kept in memory (at least the newest entry is). */
  cacheBytes: number;
  /** Where warnings go. */
  logger?: Logger;
  /**
   * Bytes of large entries that may wait for the disk (default
   * {@link DEFAULT_MAX_UNWRITTEN_BYTES}); an append past it is refused.
   */
  maxUnwrittenBytes?: number;
}

/** Payloads from this size up are written off the event loop. */
export const ASYNC_WRITE_BYTES = 64 * 1024;
/**
 * Finished segments of logs kept this long or more (or kept whole) are
 * fsynced. Shorter rolling buffers are left to the kernel's writeback: their
 * segments would otherwise be written to flash only to be deleted seconds
 * later, which costs the device's bandwidth and wear.
 */
const FSYNC_MIN_RETENTION_NS = 60_000_000_000n;

function keptForLong(retentionNs: bigint): boolean {
  return retentionNs === 0n || retentionNs >= FSYNC_MIN_RETENTION_NS;
}

/** Default of {@link LogOptions.maxUnwrittenBytes}. */
const DEFAULT_MAX_UNWRITTEN_BYTES = 64 * 1024 * 1024;

/** An append refused because the disk is too far behind. */
export class LogBehindError extends Error {
  /** Creates the error for a log whose disk is `unwrittenBytes` behind. */
  constructor(dir: string, readonly unwrittenBytes: number) {
    super(
      `the disk is ${
        (unwrittenBytes / 1024 / 1024).toFixed(1)
      } MiB behind on ${dir}; entry dropped`,
    );
    this.name = "LogBehindError";
  }
}

/** An appended entry waiting for its write, or a segment file to retire. */
type WriteJob =
  | {
    kind: "entry";
    segment: Segment;
    file: Deno.FsFile;
    timestampNs: bigint;
    payload: Uint8Array;
  }
  | { kind: "retire"; file: Deno.FsFile };

/** A single-writer segment log directory. */
export class SegmentLog implements CursorSource {
  /** The on-disk manifest (ground truth once the log exists). */
  readonly manifest: LogManifest;
  readonly #dir: string;
  readonly #segments: Segment[];
  readonly #logger: Logger;
  readonly #cache: EntryCache;
  readonly #maxUnwrittenBytes: number;
  #nextIndex: number;
  #active: { segment: Segment; file: Deno.FsFile } | undefined;
  #waiters = new Set<() => void>();
  readonly #flushing = new Set<Promise<void>>();
  readonly #queue: WriteJob[] = [];
  #unwrittenBytes = 0;
  #writing: Promise<void> | undefined;
  #lastAppendedNs: bigint | undefined;
  #closing = false;
  #closed = false;
  #clamped = 0;
  #failedWrites = 0;

  private constructor(
    dir: string,
    manifest: LogManifest,
    segments: Segment[],
    options: LogOptions,
  ) {
    this.#dir = dir;
    this.manifest = manifest;
    this.#segments = segments;
    this.#cache = new EntryCache(options.cacheBytes);
    this.#logger = options.logger ?? silentLogger;
    this.#maxUnwrittenBytes = options.maxUnwrittenBytes ??
      DEFAULT_MAX_UNWRITTEN_BYTES;
    const last = segments.at(-1);
    this.#nextIndex = last === undefined ? 0 : last.firstIndex + last.entries;
    this.#lastAppendedNs = this.lastTimestampNs;
  }

  /**
   * Opens the log in `dir`, creating it with `options.manifest` if absent.
   * Recovers from a crash by dropping a truncated tail entry.
   */
  static async open(dir: string, options: LogOptions): Promise<SegmentLog> {
    await Deno.mkdir(join(dir, "segments"), { recursive: true });
    let manifest = await readManifest(dir);
    if (manifest === undefined) {
      manifest = options.manifest;
      await writeManifest(dir, manifest);
    }
    const logger = options.logger ?? silentLogger;
    const segments = await loadSegments(join(dir, "segments"), logger);
    return new SegmentLog(dir, manifest, segments, options);
  }

  /** The directory holding the log. */
  get dir(): string {
    return this.#dir;
  }

  /** Index the next entry to become readable gets. */
  get nextIndex(): number {
    return this.#nextIndex;
  }

  /** Index of the oldest retained entry. */
  get firstIndex(): number {
    return this.#segments[0]?.firstIndex ?? this.#nextIndex;
  }

  /** Timestamp of the newest readable entry, if any. */
  get lastTimestampNs(): bigint | undefined {
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      const lastNs = this.#segments[i].lastNs;
      if (lastNs !== undefined) return lastNs;
    }
    return undefined;
  }

  /** Timestamp of the oldest retained entry, if any. */
  get firstTimestampNs(): bigint | undefined {
    return this.#segments.find((s) => s.firstNs !== undefined)?.firstNs;
  }

  /** Entries whose timestamp went backwards and were recorded at the previous one. */
  get clampedEntries(): number {
    return this.#clamped;
  }

  /** What is retrievable right now. */
  available(): LogAvailability {
    let bytes = 0n;
    let entries = 0n;
    for (const s of this.#segments) {
      bytes += BigInt(s.payloadBytes);
      entries += BigInt(s.entries);
    }
    const first = this.firstTimestampNs;
    const last = this.lastTimestampNs;
    return {
      bytes,
      entries,
      durationNs: first === undefined || last === undefined ? 0n : last - first,
    };
  }

  /**
   * Appends an entry and returns the timestamp it is recorded at. A small
   * entry is written synchronously and readable at once, so a crash loses at
   * most the entry being written. A large one ({@link ASYNC_WRITE_BYTES} and
   * up), and any entry appended while one waits, is written off the event
   * loop in order and readable once written: a crash loses at most those
   * entries. A timestamp older than the newest entry is recorded at the
   * newest entry's timestamp (logs are ordered); negative timestamps are
   * refused, and so is an entry that would put more than `maxUnwrittenBytes`
   * behind the disk ({@link LogBehindError}).
   */
  append(timestampNs: bigint, payload: Uint8Array): bigint {
    if (this.#closing) throw new Error(`log ${this.#dir} is closed`);
    if (timestampNs < 0n) {
      throw new RangeError(`negative timestamp ${timestampNs} in ${this.#dir}`);
    }
    const last = this.#lastAppendedNs;
    if (last !== undefined && timestampNs < last) {
      if (this.#clamped++ % 1000 === 0) {
        this.#logger.warn(
          `log ${this.#dir}: timestamp went back ${
            last - timestampNs
          } ns; recorded at the previous timestamp (${this.#clamped} so far)`,
        );
      }
      timestampNs = last;
    }
    const busy = this.#queue.length > 0 || this.#writing !== undefined;
    const large = payload.byteLength >= ASYNC_WRITE_BYTES;
    if (
      busy &&
      this.#unwrittenBytes + payload.byteLength > this.#maxUnwrittenBytes
    ) {
      throw new LogBehindError(this.#dir, this.#unwrittenBytes);
    }
    const segment = this.#segmentFor(timestampNs);
    const file = this.#active!.file;
    this.#lastAppendedNs = timestampNs;
    if (!busy && !large) {
      const offset = segment.sizeBytes;
      try {
        writeAllSync(file, encodeEntryHeader(timestampNs, payload.byteLength));
        writeAllSync(file, payload);
      } catch (error) {
        this.#undoWrite(file, offset);
        throw error;
      }
      this.#commit(segment, offset, timestampNs, payload);
      return timestampNs;
    }
    this.#queue.push({ kind: "entry", segment, file, timestampNs, payload });
    this.#unwrittenBytes += payload.byteLength;
    this.#startWriting();
    return timestampNs;
  }

  /** Starts writing the queue unless it is being written. */
  #startWriting(): void {
    if (this.#writing !== undefined) return;
    const done = Promise.withResolvers<void>();
    this.#writing = done.promise;
    this.#writeQueue().finally(() => {
      this.#writing = undefined;
      done.resolve();
    });
  }

  /** Writes the queued jobs in order, off the event loop, until none is left. */
  async #writeQueue(): Promise<void> {
    for (let job; (job = this.#queue.shift()) !== undefined;) {
      if (job.kind === "retire") {
        this.#retire(job.file);
        continue;
      }
      const { segment, file, timestampNs, payload } = job;
      const offset = segment.sizeBytes;
      try {
        await writeAll(
          file,
          encodeEntryHeader(timestampNs, payload.byteLength),
        );
        await writeAll(file, payload);
        this.#commit(segment, offset, timestampNs, payload);
      } catch (error) {
        if (this.#failedWrites++ % 100 === 0) {
          this.#logger.error(
            `log ${this.#dir}: an entry could not be written and is lost (${error}); ${this.#failedWrites} so far`,
          );
        }
        this.#undoWrite(file, offset);
      } finally {
        this.#unwrittenBytes -= payload.byteLength;
      }
    }
  }

  /** Cuts a failed write back to `offset`, so later entries follow the last good one. */
  #undoWrite(file: Deno.FsFile, offset: number): void {
    try {
      file.truncateSync(offset);
      file.seekSync(offset, Deno.SeekMode.Start);
    } catch (error) {
      this.#logger.error(
        `log ${this.#dir}: cannot undo a failed write: ${error}`,
      );
    }
  }

  /** Makes a written entry readable. */
  #commit(
    segment: Segment,
    offset: number,
    timestampNs: bigint,
    payload: Uint8Array,
  ): void {
    segment.sizeBytes = offset + ENTRY_HEADER_BYTES + payload.byteLength;
    segment.entries++;
    segment.payloadBytes += payload.byteLength;
    segment.firstNs ??= timestampNs;
    segment.lastNs = timestampNs;
    this.#cache.remember({
      index: this.#nextIndex++,
      timestampNs,
      payload,
      segmentStartNs: segment.startNs,
      offset,
    });
    this.#evict(timestampNs);
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves once every appended entry is written (or failed to be). */
  async written(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  #segmentFor(timestampNs: bigint): Segment {
    const duration = this.manifest.segment_duration_ns;
    const startNs = segmentStart(timestampNs, duration);
    if (this.#active?.segment.startNs === startNs) return this.#active.segment;
    const last = this.#segments.at(-1);
    this.#retireActive();
    if (last !== undefined && last.startNs === startNs) {
      const file = Deno.openSync(last.path, { write: true });
      file.seekSync(last.sizeBytes, Deno.SeekMode.Start);
      this.#active = { segment: last, file };
      return last;
    }
    const path = join(this.#dir, "segments", segmentFileName(startNs));
    const file = Deno.openSync(path, { write: true, createNew: true });
    writeAllSync(file, encodeSegmentHeader(startNs));
    const segment: Segment = {
      startNs,
      path,
      firstIndex: this.#nextIndex,
      entries: 0,
      payloadBytes: 0,
      firstNs: undefined,
      lastNs: undefined,
      sizeBytes: SEGMENT_HEADER_BYTES,
    };
    this.#segments.push(segment);
    this.#active = { segment, file };
    return segment;
  }

  #retireActive(): void {
    const active = this.#active;
    this.#active = undefined;
    if (active === undefined) return;
    if (this.#queue.length > 0 || this.#writing !== undefined) {
      this.#queue.push({ kind: "retire", file: active.file });
    } else this.#retire(active.file);
  }

  /**
   * Closes a finished segment file; for a log kept {@link FSYNC_MIN_RETENTION_NS}
   * or more, flushes it to the device first, off the event loop.
   */
  #retire(file: Deno.FsFile): void {
    if (!keptForLong(this.manifest.retention_ns)) {
      file.close();
      return;
    }
    const flushed = file.syncData().catch((error) =>
      this.#logger.warn(`log ${this.#dir}: fsync failed: ${error}`)
    ).finally(() => {
      file.close();
      this.#flushing.delete(flushed);
    });
    this.#flushing.add(flushed);
  }

  #evict(newestNs: bigint): void {
    const retention = this.manifest.retention_ns;
    if (retention === 0n) return;
    const duration = this.manifest.segment_duration_ns;
    while (this.#segments.length > 1) {
      const oldest = this.#segments[0];
      if (oldest.startNs + duration > newestNs - retention) break;
      // Never the open segment, nor one with entries still to be written.
      if (
        oldest === this.#active?.segment ||
        this.#queue.some((job) =>
          job.kind === "entry" && job.segment === oldest
        )
      ) break;
      this.#segments.shift();
      try {
        Deno.removeSync(oldest.path);
      } catch (error) {
        this.#logger.warn(
          `log ${this.#dir}: cannot delete ${oldest.path}: ${error}`,
        );
      }
    }
    this.#cache.dropBefore(this.firstIndex);
  }

  /**
   * Changes the retention of a running log, rewriting the manifest first so
   * the change survives a restart; eviction applies from the next append.
   */
  async setRetention(retentionNs: bigint): Promise<void> {
    if (retentionNs < 0n) throw new RangeError("retention must be >= 0");
    const manifest = { ...this.manifest, retention_ns: retentionNs };
    await writeManifest(this.#dir, manifest);
    this.manifest.retention_ns = retentionNs;
  }

  /** Resolves once an entry with `index` exists or the log closes. */
  waitFor(index: number, signal?: AbortSignal): Promise<void> {
    if (index < this.#nextIndex || this.#closed) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(wake);
        reject(signal!.reason);
      };
      const wake = () => {
        // Every append wakes all waiters: keep waiting until `index` exists.
        if (index >= this.#nextIndex && !this.#closed) {
          this.#waiters.add(wake);
          return;
        }
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#waiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closing;
  }

  /** Opens a cursor at a read position. */
  async cursor(from: ReadFrom): Promise<LogCursor> {
    switch (from.kind) {
      case "latest":
        return this.#atEnd();
      case "start":
        return new LogCursor(this, this.firstIndex, undefined);
      case "timestamp":
        return await this.#seek(from.timestampNs);
    }
  }

  async #seek(timestampNs: bigint): Promise<LogCursor> {
    const cached = this.#cache.seek(timestampNs);
    if (cached !== undefined) {
      return new LogCursor(this, cached.index, {
        startNs: cached.segmentStartNs,
        offset: cached.offset,
      });
    }
    const segment = this.#segments.find((s) =>
      s.lastNs !== undefined && s.lastNs >= timestampNs
    );
    if (segment === undefined) return this.#atEnd();
    using file = await Deno.open(segment.path, { read: true });
    const header = new Uint8Array(ENTRY_HEADER_BYTES);
    let offset = SEGMENT_HEADER_BYTES;
    for (let i = 0; i < segment.entries; i++) {
      await file.seek(offset, Deno.SeekMode.Start);
      await readFull(file, header);
      const entry = parseEntryHeader(header);
      if (entry.timestampNs >= timestampNs) {
        return new LogCursor(this, segment.firstIndex + i, {
          startNs: segment.startNs,
          offset,
        });
      }
      offset += ENTRY_HEADER_BYTES + entry.payloadBytes;
    }
    return this.#atEnd();
  }

  /**
   * A cursor at the end: every entry appended from now on. `from_timestamp`
   * past the newest entry lands here too; its live tail is not filtered
   * (spec wire.md 7.4, as the Rust producer reads it).
   */
  #atEnd(): LogCursor {
    const last = this.#segments.at(-1);
    return new LogCursor(
      this,
      this.#nextIndex,
      last && { startNs: last.startNs, offset: last.sizeBytes },
    );
  }

  /** The cached entry with `index`, if still cached. */
  cached(index: number): CachedEntry | undefined {
    return this.#cache.get(index);
  }

  /** Where entry `index` starts, when it opens a segment. */
  segmentOpening(index: number): EntryPosition | undefined {
    const segment = this.#segments.find((s) => s.firstIndex === index);
    return segment &&
      { startNs: segment.startNs, offset: SEGMENT_HEADER_BYTES };
  }

  /** The segment starting at `startNs` and the one after it. */
  segmentAt(startNs: bigint): { segment?: Segment; next?: Segment } {
    const i = this.#segments.findIndex((s) => s.startNs === startNs);
    if (i >= 0) {
      return { segment: this.#segments[i], next: this.#segments[i + 1] };
    }
    return { next: this.#segments.find((s) => s.startNs > startNs) };
  }

  /** Whether `segment` is still being appended to. */
  isActive(segment: SegmentSpan): boolean {
    return this.#active?.segment === segment;
  }

  /**
   * Stops appends, writes what is queued, wakes waiting readers and flushes
   * every segment written.
   */
  async close(): Promise<void> {
    if (this.#closing) return await this.written();
    this.#closing = true;
    await this.written();
    this.#closed = true;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
    this.#retireActive();
    await Promise.all([...this.#flushing]);
  }
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let n = 0; n < bytes.byteLength;) {
    n += file.writeSync(bytes.subarray(n));
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let n = 0; n < bytes.byteLength;) {
    n += await file.write(bytes.subarray(n));
  }
}
