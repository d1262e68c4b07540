/**
 * Reading a segment log: a cursor serves entries from the log's memory cache
 * while it keeps up and from the segment files when it falls behind, so a
 * slow reader costs a file position, not memory.
 *
 * @module
 */
import { join } from "node:path";
import {
  ENTRY_HEADER_BYTES,
  parseEntryHeader,
  readFull,
  SEGMENT_HEADER_BYTES,
  segmentFileName,
} from "./segment.ts";

/** One log entry: its position in this log, timestamp and payload. */
export interface LogEntry {
  /** Position in the log since it was opened by this process (0 = oldest then). */
  index: number;
  /** Timestamp on the log's clock, ns. */
  timestampNs: bigint;
  /** The payload bytes as appended. */
  payload: Uint8Array;
}

/** A reader asked for entries that retention deleted before it read them. */
export class LogEvictedError extends Error {
  /** Creates the error for `missed` entries the reader can no longer get. */
  constructor(readonly missed: number) {
    super(`${missed} entries were evicted by retention before they were read`);
    this.name = "LogEvictedError";
  }
}

/** Where an entry sits on disk: its segment's start and byte offset. */
export interface EntryPosition {
  /** Start of the segment holding it, ns. */
  startNs: bigint;
  /** Byte offset of its entry header in the segment file. */
  offset: number;
}

/** A recent entry the log keeps in memory, with where it sits on disk. */
export interface CachedEntry extends LogEntry {
  /** Start of the segment holding it, ns. */
  segmentStartNs: bigint;
  /** Byte offset of its entry header in the segment file. */
  offset: number;
}

/** A segment as a cursor sees it. */
export interface SegmentSpan {
  /** Start of the segment, ns. */
  startNs: bigint;
  /** Bytes of the segment file holding complete entries. */
  sizeBytes: number;
}

/** What a {@link LogCursor} reads from (a `SegmentLog`). */
export interface CursorSource {
  /** The directory holding the log. */
  readonly dir: string;
  /** Index the next entry to become readable gets. */
  readonly nextIndex: number;
  /** Index of the oldest retained entry. */
  readonly firstIndex: number;
  /** Resolves once an entry with `index` exists or the log closes. */
  waitFor(index: number, signal?: AbortSignal): Promise<void>;
  /** The cached entry with `index`, if still cached. */
  cached(index: number): CachedEntry | undefined;
  /** Where entry `index` starts, when it opens a segment. */
  segmentOpening(index: number): EntryPosition | undefined;
  /** The segment starting at `startNs` and the one after it. */
  segmentAt(startNs: bigint): { segment?: SegmentSpan; next?: SegmentSpan };
  /** Whether `segment` is still being appended to. */
  isActive(segment: SegmentSpan): boolean;
}

/** A reader's position in a log (a {@link CursorSource}). */
export class LogCursor {
  readonly #log: CursorSource;
  #index: number;
  #position: EntryPosition | undefined;
  #file: { startNs: bigint; handle: Deno.FsFile } | undefined;

  /** A cursor on `log` at entry `index`, `position` on disk when known. */
  constructor(
    log: CursorSource,
    index: number,
    position: EntryPosition | undefined,
  ) {
    this.#log = log;
    this.#index = index;
    this.#position = position;
  }

  /** Index of the next entry this cursor returns. */
  get index(): number {
    return this.#index;
  }

  /**
   * The next entry, waiting for it to be appended. Resolves `null` once the
   * log is closed and the cursor has read everything; throws
   * {@link LogEvictedError} when retention deleted the next entry first.
   */
  async next(signal?: AbortSignal): Promise<LogEntry | null> {
    await this.#log.waitFor(this.#index, signal);
    if (this.#index >= this.#log.nextIndex) return null;
    if (this.#index < this.#log.firstIndex) {
      throw new LogEvictedError(this.#log.firstIndex - this.#index);
    }
    const cached = this.#log.cached(this.#index);
    if (cached !== undefined) {
      this.#index++;
      this.#position = {
        startNs: cached.segmentStartNs,
        offset: cached.offset + ENTRY_HEADER_BYTES + cached.payload.byteLength,
      };
      return cached;
    }
    return await this.#readFromDisk();
  }

  async #readFromDisk(): Promise<LogEntry> {
    let position = this.#position ?? this.#log.segmentOpening(this.#index);
    if (position === undefined) {
      throw new Error(`cursor at ${this.#index} has no disk position`);
    }
    for (;;) {
      const { segment, next } = this.#log.segmentAt(position.startNs);
      if (
        segment !== undefined &&
        (position.offset < segment.sizeBytes || this.#log.isActive(segment))
      ) {
        break;
      }
      if (next === undefined) {
        throw new Error(
          `entry ${this.#index} is missing from ${this.#log.dir}`,
        );
      }
      position = { startNs: next.startNs, offset: SEGMENT_HEADER_BYTES };
    }
    const handle = await this.#open(position.startNs);
    await handle.seek(position.offset, Deno.SeekMode.Start);
    const header = new Uint8Array(ENTRY_HEADER_BYTES);
    if (await readFull(handle, header) < ENTRY_HEADER_BYTES) {
      throw new Error(`entry ${this.#index} is truncated in ${this.#log.dir}`);
    }
    const { timestampNs, payloadBytes } = parseEntryHeader(header);
    const payload = new Uint8Array(payloadBytes);
    if (await readFull(handle, payload) < payloadBytes) {
      throw new Error(`entry ${this.#index} is truncated in ${this.#log.dir}`);
    }
    const entry = { index: this.#index++, timestampNs, payload };
    this.#position = {
      startNs: position.startNs,
      offset: position.offset + ENTRY_HEADER_BYTES + payloadBytes,
    };
    return entry;
  }

  async #open(startNs: bigint): Promise<Deno.FsFile> {
    if (this.#file?.startNs === startNs) return this.#file.handle;
    this.#file?.handle.close();
    this.#file = undefined;
    const path = join(this.#log.dir, "segments", segmentFileName(startNs));
    const handle = await Deno.open(path, { read: true });
    this.#file = { startNs, handle };
    return handle;
  }

  /** Releases the cursor's file handle. */
  close(): void {
    this.#file?.handle.close();
    this.#file = undefined;
  }
}
