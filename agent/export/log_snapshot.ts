/**
 * Read-only reading of a log directory while its agent may be writing it:
 * the segments and their sizes are taken once (the snapshot), and only the
 * complete entries inside those sizes are read, so the writer is neither
 * locked nor disturbed and the export has a fixed end. A segment deleted by
 * retention meanwhile is skipped.
 *
 * @module
 */
import { join } from "node:path";
import { type LogManifest, readManifest } from "../logs/manifest.ts";
import {
  ENTRY_HEADER_BYTES,
  parseEntryHeader,
  parseSegmentFileName,
  parseSegmentHeader,
  SEGMENT_HEADER_BYTES,
} from "../logs/segment.ts";

/** One entry read from a log. */
export interface SnapshotEntry {
  /** Timestamp on the log's clock, ns. */
  timestampNs: bigint;
  /** The payload as recorded. */
  payload: Uint8Array;
}

/** Read buffer size; larger entries are read straight into their payload. */
const BLOCK_BYTES = 1024 * 1024;

interface SegmentFile {
  startNs: bigint;
  path: string;
  bytes: number;
}

/** A log directory's manifest and segments as they were when it was opened. */
export class LogSnapshot {
  /** The log's manifest. */
  readonly manifest: LogManifest;
  /** The log directory. */
  readonly dir: string;
  readonly #segments: SegmentFile[];

  private constructor(
    dir: string,
    manifest: LogManifest,
    segments: SegmentFile[],
  ) {
    this.dir = dir;
    this.manifest = manifest;
    this.#segments = segments;
  }

  /** Takes the snapshot of the log in `dir`; `undefined` when it holds no log. */
  static async open(dir: string): Promise<LogSnapshot | undefined> {
    const manifest = await readManifest(dir);
    if (manifest === undefined) return undefined;
    const segments: SegmentFile[] = [];
    const segmentDir = join(dir, "segments");
    for await (const item of Deno.readDir(segmentDir)) {
      const startNs = parseSegmentFileName(item.name);
      if (!item.isFile || startNs === undefined) continue;
      const path = join(segmentDir, item.name);
      const bytes = await Deno.stat(path).then((s) => s.size, () => 0);
      if (bytes > SEGMENT_HEADER_BYTES) segments.push({ startNs, path, bytes });
    }
    segments.sort((a, b) =>
      a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0
    );
    return new LogSnapshot(dir, manifest, segments);
  }

  /** Bytes of the segment files in the snapshot (an upper bound of what is read). */
  get bytes(): number {
    return this.#segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  /**
   * The entries with `fromNs <= timestamp <= toNs` (each bound optional), in
   * order; segments that end before `fromNs` are not opened.
   */
  async *entries(
    range: { fromNs?: bigint; toNs?: bigint } = {},
  ): AsyncGenerator<SnapshotEntry> {
    const { fromNs, toNs } = range;
    for (const [i, segment] of this.#segments.entries()) {
      const next = this.#segments[i + 1];
      if (
        fromNs !== undefined && next !== undefined && next.startNs <= fromNs
      ) {
        continue;
      }
      if (toNs !== undefined && segment.startNs > toNs) return;
      for await (const entry of readSegment(segment)) {
        if (toNs !== undefined && entry.timestampNs > toNs) return;
        if (fromNs === undefined || entry.timestampNs >= fromNs) yield entry;
      }
    }
  }
}

/** The complete entries in the first `segment.bytes` bytes of a segment file. */
async function* readSegment(
  segment: SegmentFile,
): AsyncGenerator<SnapshotEntry> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(segment.path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // deleted by retention
    throw error;
  }
  try {
    const reader = new BlockReader(file, segment.bytes);
    const header = await reader.read(SEGMENT_HEADER_BYTES);
    if (header === undefined) return;
    parseSegmentHeader(header);
    for (;;) {
      const head = await reader.read(ENTRY_HEADER_BYTES);
      if (head === undefined) return;
      const { timestampNs, payloadBytes } = parseEntryHeader(head);
      const payload = await reader.read(payloadBytes);
      if (payload === undefined) return; // a tail still being written
      yield { timestampNs, payload };
    }
  } finally {
    file.close();
  }
}

/** Reads a file up to a limit in large blocks, handing out exact slices. */
class BlockReader {
  readonly #file: Deno.FsFile;
  #left: number;
  #block = new Uint8Array(0);
  #at = 0;

  constructor(file: Deno.FsFile, limit: number) {
    this.#file = file;
    this.#left = limit;
  }

  /** The next `n` bytes (a fresh copy), or `undefined` when fewer are left. */
  async read(n: number): Promise<Uint8Array | undefined> {
    const buffered = this.#block.byteLength - this.#at;
    if (buffered + this.#left < n) return undefined;
    const out = new Uint8Array(n);
    const fromBlock = Math.min(buffered, n);
    out.set(this.#block.subarray(this.#at, this.#at + fromBlock));
    this.#at += fromBlock;
    let filled = fromBlock;
    if (filled === n) return out;
    if (n - filled >= BLOCK_BYTES) {
      filled += await this.#fill(out.subarray(filled));
      return filled === n ? out : undefined;
    }
    this.#block = new Uint8Array(Math.min(BLOCK_BYTES, this.#left));
    this.#at = 0;
    const got = await this.#fill(this.#block);
    this.#block = this.#block.subarray(0, got);
    const rest = Math.min(n - filled, got);
    out.set(this.#block.subarray(0, rest), filled);
    this.#at = rest;
    return filled + rest === n ? out : undefined;
  }

  /** Fills `target` from the file (within the limit); returns the bytes read. */
  async #fill(target: Uint8Array): Promise<number> {
    let filled = 0;
    const wanted = Math.min(target.byteLength, this.#left);
    while (filled < wanted) {
      const n = await this.#file.read(target.subarray(filled, wanted));
      if (n === null) break;
      filled += n;
    }
    this.#left -= filled;
    return filled;
  }
}
