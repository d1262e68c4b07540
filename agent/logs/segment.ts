/**
 * The `auki-logs` segment file, format version 1 (spec datatypes.md section
 * 4): a 16-byte little-endian header (`AKLG`, u16 version, u16 reserved, i64
 * start_ns), then entries of i64 timestamp_ns, u32 payload_len and the payload.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../../core/logging.ts";

/** Bytes in a segment header. */
export const SEGMENT_HEADER_BYTES = 16;
/** Bytes of framing in front of each entry's payload. */
export const ENTRY_HEADER_BYTES = 12;
/** The segment format version this module reads and writes. */
export const SEGMENT_VERSION = 1;

const MAGIC = [0x41, 0x4b, 0x4c, 0x47]; // "AKLG"

/** The start of the segment holding `timestampNs`. */
export function segmentStart(timestampNs: bigint, durationNs: bigint): bigint {
  return (timestampNs / durationNs) * durationNs;
}

/** The file name of a segment: 20-digit zero-padded start_ns plus `.seg`. */
export function segmentFileName(startNs: bigint): string {
  return `${startNs.toString().padStart(20, "0")}.seg`;
}

/** The start_ns a segment file name encodes, or `undefined` for other names. */
export function parseSegmentFileName(name: string): bigint | undefined {
  const match = /^(\d{20})\.seg$/.exec(name);
  return match === null ? undefined : BigInt(match[1]);
}

/** Encodes a segment header. */
export function encodeSegmentHeader(startNs: bigint): Uint8Array {
  const out = new Uint8Array(SEGMENT_HEADER_BYTES);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint16(4, SEGMENT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setBigInt64(8, startNs, true);
  return out;
}

/** Parses a segment header, returning start_ns; throws on bad magic or version. */
export function parseSegmentHeader(bytes: Uint8Array): bigint {
  if (bytes.byteLength < SEGMENT_HEADER_BYTES) {
    throw new RangeError("segment header is truncated");
  }
  if (MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new RangeError("segment does not start with AKLG");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== SEGMENT_VERSION) {
    throw new RangeError(`segment format version ${version} is not supported`);
  }
  return view.getBigInt64(8, true);
}

/** Encodes the framing in front of an entry's payload. */
export function encodeEntryHeader(
  timestampNs: bigint,
  payloadBytes: number,
): Uint8Array {
  const out = new Uint8Array(ENTRY_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setBigInt64(0, timestampNs, true);
  view.setUint32(8, payloadBytes, true);
  return out;
}

/** Decodes the framing in front of an entry's payload. */
export function parseEntryHeader(
  bytes: Uint8Array,
): { timestampNs: bigint; payloadBytes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, ENTRY_HEADER_BYTES);
  return {
    timestampNs: view.getBigInt64(0, true),
    payloadBytes: view.getUint32(8, true),
  };
}

/** What a scan of a segment file found. */
export interface SegmentScan {
  /** start_ns from the header. */
  startNs: bigint;
  /** Number of complete entries. */
  entries: number;
  /** Sum of complete entries' payload lengths. */
  payloadBytes: number;
  /** Timestamp of the first complete entry. */
  firstNs: bigint | undefined;
  /** Timestamp of the last complete entry. */
  lastNs: bigint | undefined;
  /** Byte length up to the end of the last complete entry. */
  validBytes: number;
  /** Byte length of the file. */
  fileBytes: number;
}

/**
 * Reads a segment's header and entry framing (seeking over payloads), and
 * reports where the complete entries end: a crash mid-write leaves a
 * truncated tail, which readers ignore.
 */
export async function scanSegment(path: string): Promise<SegmentScan> {
  using file = await Deno.open(path, { read: true });
  const fileBytes = (await file.stat()).size;
  const header = new Uint8Array(SEGMENT_HEADER_BYTES);
  if (await readFull(file, header) < SEGMENT_HEADER_BYTES) {
    throw new RangeError("segment header is truncated");
  }
  const startNs = parseSegmentHeader(header);
  const scan: SegmentScan = {
    startNs,
    entries: 0,
    payloadBytes: 0,
    firstNs: undefined,
    lastNs: undefined,
    validBytes: SEGMENT_HEADER_BYTES,
    fileBytes,
  };
  const entryHeader = new Uint8Array(ENTRY_HEADER_BYTES);
  for (;;) {
    await file.seek(scan.validBytes, Deno.SeekMode.Start);
    if (await readFull(file, entryHeader) < ENTRY_HEADER_BYTES) break;
    const { timestampNs, payloadBytes } = parseEntryHeader(entryHeader);
    const end = scan.validBytes + ENTRY_HEADER_BYTES + payloadBytes;
    if (end > fileBytes) break;
    scan.entries++;
    scan.payloadBytes += payloadBytes;
    scan.firstNs ??= timestampNs;
    scan.lastNs = timestampNs;
    scan.validBytes = end;
  }
  return scan;
}

/** Reads until `buffer` is full or EOF; returns the bytes read. */
export async function readFull(
  file: Deno.FsFile,
  buffer: Uint8Array,
): Promise<number> {
  let filled = 0;
  while (filled < buffer.byteLength) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}

/** A segment file of a log as loaded: where it is and what it holds. */
export interface Segment {
  /** Start of the segment, ns. */
  startNs: bigint;
  /** Path of its file. */
  path: string;
  /** Log index of its first entry. */
  firstIndex: number;
  /** Number of entries. */
  entries: number;
  /** Sum of payload bytes. */
  payloadBytes: number;
  /** Timestamp of its first entry, if any. */
  firstNs: bigint | undefined;
  /** Timestamp of its last entry, if any. */
  lastNs: bigint | undefined;
  /** Bytes of the file holding complete entries. */
  sizeBytes: number;
}

/**
 * Loads the segment files of a log's `segments` directory in order: a
 * truncated tail entry left by a crash is dropped, an unreadable segment is
 * moved aside and an empty one removed.
 */
export async function loadSegments(
  dir: string,
  logger: Logger,
): Promise<Segment[]> {
  const names: string[] = [];
  for await (const item of Deno.readDir(dir)) {
    if (item.isFile && parseSegmentFileName(item.name) !== undefined) {
      names.push(item.name);
    }
  }
  names.sort();
  const segments: Segment[] = [];
  let index = 0;
  for (const [i, name] of names.entries()) {
    const path = join(dir, name);
    let scan: SegmentScan;
    try {
      scan = await scanSegment(path);
    } catch (error) {
      logger.warn(`segment ${path} is unreadable (${error}); moved aside`);
      await Deno.rename(path, `${path}.corrupt`);
      continue;
    }
    if (scan.validBytes < scan.fileBytes) {
      logger.warn(
        `segment ${path}: dropped a ${
          scan.fileBytes - scan.validBytes
        }-byte truncated entry left by a crash`,
      );
      if (i === names.length - 1) await Deno.truncate(path, scan.validBytes);
    }
    // An empty segment (even the last, left by a crash right after it was
    // created) holds nothing; keeping it as the last segment would make an
    // append whose timestamp falls in an earlier segment try to create that
    // segment's file again.
    if (scan.entries === 0) {
      await Deno.remove(path);
      continue;
    }
    segments.push({
      startNs: scan.startNs,
      path,
      firstIndex: index,
      entries: scan.entries,
      payloadBytes: scan.payloadBytes,
      firstNs: scan.firstNs,
      lastNs: scan.lastNs,
      sizeBytes: scan.validBytes,
    });
    index += scan.entries;
  }
  return segments;
}
