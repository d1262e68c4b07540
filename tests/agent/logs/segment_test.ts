import assert from "node:assert/strict";
import { join } from "node:path";
import {
  encodeEntryHeader,
  encodeSegmentHeader,
  ENTRY_HEADER_BYTES,
  parseEntryHeader,
  parseSegmentFileName,
  parseSegmentHeader,
  readFull,
  scanSegment,
  SEGMENT_HEADER_BYTES,
  SEGMENT_VERSION,
  segmentFileName,
  segmentStart,
} from "../../../agent/logs/segment.ts";
import { fromHex, toHex } from "../../helpers/hex.ts";
import { withDir } from "../../helpers/temp_dir.ts";

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

function entry(timestampNs: bigint, payload: Uint8Array): Uint8Array {
  return concat(encodeEntryHeader(timestampNs, payload.byteLength), payload);
}

Deno.test("segment constants", () => {
  assert.equal(SEGMENT_HEADER_BYTES, 16);
  assert.equal(ENTRY_HEADER_BYTES, 12);
  assert.equal(SEGMENT_VERSION, 1);
});

Deno.test("encodeSegmentHeader: AKLG, u16 version 1 LE, u16 reserved 0, i64 start_ns LE", () => {
  assert.equal(
    toHex(encodeSegmentHeader(0x0102030405060708n)),
    "414b4c47" + "0100" + "0000" + "0807060504030201",
  );
  assert.equal(
    toHex(encodeSegmentHeader(0n)),
    "414b4c47010000000000000000000000",
  );
  // 1_700_000_000_000_000_000 = 0x17979cfe362a0000
  assert.equal(
    toHex(encodeSegmentHeader(1_700_000_000_000_000_000n)),
    "414b4c4701000000" + "00002a36fe9c9717",
  );
  assert.equal(encodeSegmentHeader(5n).byteLength, SEGMENT_HEADER_BYTES);
});

Deno.test("parseSegmentHeader: round trip and rejections", () => {
  for (const start of [0n, 60_000_000_000n, 1_700_000_000_000_000_000n]) {
    assert.equal(parseSegmentHeader(encodeSegmentHeader(start)), start);
  }
  // A header inside a larger buffer at a non-zero offset.
  const framed = concat(new Uint8Array(3), encodeSegmentHeader(77n));
  assert.equal(parseSegmentHeader(framed.subarray(3)), 77n);

  const bad = encodeSegmentHeader(1n);
  bad[0] = 0x42;
  assert.throws(() => parseSegmentHeader(bad), /AKLG/);
  const v2 = encodeSegmentHeader(1n);
  v2[4] = 2;
  assert.throws(() => parseSegmentHeader(v2), /version 2/);
  assert.throws(
    () => parseSegmentHeader(encodeSegmentHeader(1n).subarray(0, 15)),
    /truncated/,
  );
});

Deno.test("entry header: i64 timestamp LE then u32 length LE", () => {
  assert.equal(
    toHex(encodeEntryHeader(0x0102030405060708n, 0x0a0b0c0d)),
    "0807060504030201" + "0d0c0b0a",
  );
  assert.equal(
    toHex(encodeEntryHeader(1n, 0)),
    "0100000000000000" + "00000000",
  );
  const parsed = parseEntryHeader(fromHex("0807060504030201" + "0d0c0b0a"));
  assert.deepEqual(parsed, {
    timestampNs: 0x0102030405060708n,
    payloadBytes: 0x0a0b0c0d,
  });
  // At an offset inside a larger buffer.
  const framed = concat(
    new Uint8Array(5),
    encodeEntryHeader(1_700_000_000_123_456_789n, 4096),
    new Uint8Array(9),
  );
  assert.deepEqual(parseEntryHeader(framed.subarray(5)), {
    timestampNs: 1_700_000_000_123_456_789n,
    payloadBytes: 4096,
  });
});

Deno.test("segmentStart: floor(ts / duration) * duration", () => {
  const d = 1000n;
  assert.equal(segmentStart(0n, d), 0n);
  assert.equal(segmentStart(1n, d), 0n);
  assert.equal(segmentStart(999n, d), 0n);
  assert.equal(segmentStart(1000n, d), 1000n);
  assert.equal(segmentStart(1999n, d), 1000n);
  assert.equal(segmentStart(2000n, d), 2000n);
  const minute = 60_000_000_000n;
  assert.equal(
    segmentStart(1_700_000_012_345_678_901n, minute),
    1_699_999_980_000_000_000n,
  );
});

Deno.test("segmentFileName: 20-digit zero-padded start_ns", () => {
  assert.equal(segmentFileName(0n), "00000000000000000000.seg");
  assert.equal(segmentFileName(1000n), "00000000000000001000.seg");
  assert.equal(
    segmentFileName(1_700_000_000_000_000_000n),
    "01700000000000000000.seg",
  );
  assert.equal(
    segmentFileName(9_223_372_036_854_775_807n),
    "09223372036854775807.seg",
  );
  // Lexical order of names is numeric order of starts.
  const starts = [5n, 1_000_000_000n, 40n, 999_999_999_999n];
  const byName = starts.map(segmentFileName).sort();
  assert.deepEqual(
    byName.map(parseSegmentFileName),
    [...starts].sort((a, b) => (a < b ? -1 : 1)),
  );
});

Deno.test("parseSegmentFileName: only exact segment names", () => {
  assert.equal(parseSegmentFileName("00000000000000001000.seg"), 1000n);
  assert.equal(
    parseSegmentFileName(segmentFileName(1_700_000_000_000_000_000n)),
    1_700_000_000_000_000_000n,
  );
  for (
    const name of [
      "1000.seg",
      "000000000000000001000.seg",
      "0000000000000000100.seg",
      "00000000000000001000.seg.corrupt",
      "00000000000000001000.seg.tmp",
      "0000000000000000100x.seg",
      "00000000000000001000",
      "log_manifest.json",
    ]
  ) {
    assert.equal(parseSegmentFileName(name), undefined, name);
  }
});

Deno.test("scanSegment: complete entries", async () => {
  await withDir(async (dir) => {
    const path = join(dir, segmentFileName(1000n));
    const bytes = concat(
      encodeSegmentHeader(1000n),
      entry(1000n, new Uint8Array([1, 2, 3])),
      entry(1500n, new Uint8Array(0)),
      entry(1999n, new Uint8Array(100).fill(7)),
    );
    await Deno.writeFile(path, bytes);
    assert.deepEqual(await scanSegment(path), {
      startNs: 1000n,
      entries: 3,
      payloadBytes: 103,
      firstNs: 1000n,
      lastNs: 1999n,
      validBytes: bytes.byteLength,
      fileBytes: bytes.byteLength,
    });
  });
});

Deno.test("scanSegment: header only", async () => {
  await withDir(async (dir) => {
    const path = join(dir, segmentFileName(0n));
    await Deno.writeFile(path, encodeSegmentHeader(0n));
    assert.deepEqual(await scanSegment(path), {
      startNs: 0n,
      entries: 0,
      payloadBytes: 0,
      firstNs: undefined,
      lastNs: undefined,
      validBytes: 16,
      fileBytes: 16,
    });
  });
});

Deno.test("scanSegment: truncated tails are reported, not counted", async () => {
  await withDir(async (dir) => {
    const path = join(dir, segmentFileName(0n));
    const good = concat(
      encodeSegmentHeader(0n),
      entry(10n, new Uint8Array([9, 9])),
      entry(20n, new Uint8Array([8])),
    );
    const tails = [
      // part of an entry header
      encodeEntryHeader(30n, 4).subarray(0, 5),
      // a whole entry header, part of the payload
      concat(encodeEntryHeader(30n, 100), new Uint8Array(99)),
      // a whole entry header, no payload
      encodeEntryHeader(30n, 1),
      // garbage claiming a huge payload
      new Uint8Array(12).fill(0xff),
    ];
    for (const tail of tails) {
      await Deno.writeFile(path, concat(good, tail));
      const scan = await scanSegment(path);
      assert.equal(scan.entries, 2);
      assert.equal(scan.payloadBytes, 3);
      assert.equal(scan.firstNs, 10n);
      assert.equal(scan.lastNs, 20n);
      assert.equal(scan.validBytes, good.byteLength);
      assert.equal(scan.fileBytes, good.byteLength + tail.byteLength);
    }
  });
});

Deno.test("scanSegment: rejects a truncated or foreign header", async () => {
  await withDir(async (dir) => {
    const path = join(dir, segmentFileName(0n));
    await Deno.writeFile(path, encodeSegmentHeader(0n).subarray(0, 10));
    await assert.rejects(scanSegment(path), /truncated/);
    await Deno.writeFile(path, new Uint8Array(0));
    await assert.rejects(scanSegment(path), /truncated/);
    await Deno.writeFile(
      path,
      concat(new TextEncoder().encode("NOPE"), new Uint8Array(20)),
    );
    await assert.rejects(scanSegment(path), /AKLG/);
  });
});

Deno.test("readFull: fills the buffer or stops at EOF", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "data");
    await Deno.writeFile(path, new Uint8Array([1, 2, 3, 4, 5]));
    using file = await Deno.open(path, { read: true });
    const four = new Uint8Array(4);
    assert.equal(await readFull(file, four), 4);
    assert.deepEqual(four, new Uint8Array([1, 2, 3, 4]));
    const rest = new Uint8Array(4);
    assert.equal(await readFull(file, rest), 1);
    assert.deepEqual(rest, new Uint8Array([5, 0, 0, 0]));
    assert.equal(await readFull(file, rest), 0);
  });
});
