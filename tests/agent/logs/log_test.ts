import assert from "node:assert/strict";
import { join } from "node:path";
import { SegmentLog } from "../../../agent/logs/log.ts";
import { MANIFEST_FILE } from "../../../agent/logs/manifest.ts";
import {
  encodeEntryHeader,
  encodeSegmentHeader,
  parseEntryHeader,
  parseSegmentHeader,
  segmentFileName,
} from "../../../agent/logs/segment.ts";
import { canonicalJson } from "../../../core/codec/json.ts";
import {
  drain,
  options,
  payload,
  readAvailable,
  segmentNames,
  summary,
} from "./_log.ts";
import { delay } from "../../helpers/wait.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { withDir } from "../../helpers/temp_dir.ts";

/** Parses a segment file completely; fails on any trailing bytes. */
async function parseSegmentFile(
  path: string,
): Promise<{ startNs: bigint; entries: [bigint, Uint8Array][] }> {
  const bytes = await Deno.readFile(path);
  const startNs = parseSegmentHeader(bytes);
  const entries: [bigint, Uint8Array][] = [];
  let offset = 16;
  while (offset < bytes.byteLength) {
    assert.ok(offset + 12 <= bytes.byteLength, `${path}: torn entry header`);
    const { timestampNs, payloadBytes } = parseEntryHeader(
      bytes.subarray(offset),
    );
    offset += 12;
    assert.ok(offset + payloadBytes <= bytes.byteLength, `${path}: torn entry`);
    entries.push([timestampNs, bytes.slice(offset, offset + payloadBytes)]);
    offset += payloadBytes;
  }
  return { startNs, entries };
}

// ---------------------------------------------------------------------------

Deno.test("SegmentLog: creates the directory, manifest and exact segment bytes", async () => {
  await withDir(async (root) => {
    const dir = join(root, "a", "log");
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    try {
      assert.equal(
        await Deno.readTextFile(join(dir, MANIFEST_FILE)),
        canonicalJson(options(1000n, 0n).manifest),
      );
      assert.deepEqual(log.available(), {
        bytes: 0n,
        entries: 0n,
        durationNs: 0n,
      });
      assert.equal(log.lastTimestampNs, undefined);
      log.append(1234n, new Uint8Array([0xaa, 0xbb]));
      log.append(1500n, new Uint8Array(0));
      log.append(1999n, new Uint8Array([1]));
    } finally {
      await log.close();
    }
    assert.deepEqual(await segmentNames(dir), ["00000000000000001000.seg"]);
    const bytes = await Deno.readFile(
      join(dir, "segments", "00000000000000001000.seg"),
    );
    const expected = [
      ...encodeSegmentHeader(1000n),
      ...encodeEntryHeader(1234n, 2),
      0xaa,
      0xbb,
      ...encodeEntryHeader(1500n, 0),
      ...encodeEntryHeader(1999n, 1),
      1,
    ];
    assert.deepEqual(bytes, new Uint8Array(expected));
    // Spot-check the raw layout too (little-endian throughout).
    assert.deepEqual(
      Array.from(bytes.subarray(0, 16)),
      [0x41, 0x4b, 0x4c, 0x47, 1, 0, 0, 0, 0xe8, 0x03, 0, 0, 0, 0, 0, 0],
    );
    assert.deepEqual(
      Array.from(bytes.subarray(16, 28)),
      [0xd2, 0x04, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0],
    );
  });
});

Deno.test("SegmentLog: small entries are readable once appended; read back from start", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1_000_000n, 0n));
    try {
      for (let i = 0; i < 10; i++) {
        const ts = BigInt(100 + i * 10);
        assert.equal(log.append(ts, payload(i, 4 + i)), ts);
        assert.equal(log.nextIndex, i + 1);
      }
      assert.equal(log.nextIndex, 10);
      assert.equal(log.firstIndex, 0);
      assert.equal(log.firstTimestampNs, 100n);
      assert.equal(log.lastTimestampNs, 190n);
      const read = await drain(log, { kind: "start" });
      assert.equal(read.length, 10);
      for (const [i, entry] of read.entries()) {
        assert.equal(entry.index, i);
        assert.equal(entry.timestampNs, BigInt(100 + i * 10));
        assert.deepEqual(entry.payload, payload(i, 4 + i));
      }
      assert.deepEqual(log.available(), {
        bytes: BigInt(read.reduce((n, e) => n + e.payload.byteLength, 0)),
        entries: 10n,
        durationNs: 90n,
      });
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: segments roll over by timestamp", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    const stamps = [0n, 500n, 999n, 1000n, 2500n, 2501n, 7000n];
    try {
      stamps.forEach((ts, i) => log.append(ts, payload(i)));
    } finally {
      await log.close();
    }
    assert.deepEqual(await segmentNames(dir), [
      segmentFileName(0n),
      segmentFileName(1000n),
      segmentFileName(2000n),
      segmentFileName(7000n),
    ]);
    const files = await Promise.all(
      [0n, 1000n, 2000n, 7000n].map((s) =>
        parseSegmentFile(join(dir, "segments", segmentFileName(s)))
      ),
    );
    assert.deepEqual(files.map((f) => f.startNs), [0n, 1000n, 2000n, 7000n]);
    assert.deepEqual(
      files.map((f) => f.entries.map(([ts]) => ts)),
      [[0n, 500n, 999n], [1000n], [2500n, 2501n], [7000n]],
    );
    assert.deepEqual(files[2].entries[1][1], payload(5));
  });
});

Deno.test("SegmentLog: retention evicts segments whose end <= newest - retention", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 2000n));
    try {
      const check = async (names: bigint[], firstIndex: number) => {
        assert.deepEqual(await segmentNames(dir), names.map(segmentFileName));
        assert.equal(log.firstIndex, firstIndex);
        // available() matches exactly what a reader can still get.
        const read = await drain(log, { kind: "start" });
        assert.equal(read[0]?.index ?? log.nextIndex, firstIndex);
        const available = log.available();
        assert.equal(available.entries, BigInt(read.length));
        assert.equal(
          available.bytes,
          BigInt(read.reduce((n, e) => n + e.payload.byteLength, 0)),
        );
        assert.equal(
          available.durationNs,
          read.length === 0
            ? 0n
            : read.at(-1)!.timestampNs - read[0].timestampNs,
        );
        assert.equal(log.firstTimestampNs, read[0]?.timestampNs);
      };
      log.append(100n, payload(0, 10)); // segment 0
      log.append(900n, payload(1, 20)); // segment 0
      log.append(1500n, payload(2, 30)); // segment 1000
      log.append(2999n, payload(3, 40)); // segment 2000: 2999-2000 = 999 < 1000
      await check([0n, 1000n, 2000n], 0);
      log.append(3000n, payload(4, 50)); // 3000-2000 = 1000: segment 0 ends at 1000
      await check([1000n, 2000n, 3000n], 2);
      log.append(3999n, payload(5, 60)); // 1999 < 2000: segment 1000 stays
      await check([1000n, 2000n, 3000n], 2);
      log.append(4000n, payload(6, 70)); // 2000: segment 1000 goes
      await check([2000n, 3000n, 4000n], 3);
      // A jump far ahead evicts everything but the segment being written.
      log.append(100_000n, payload(7, 80));
      await check([100_000n], 7);
      assert.deepEqual(log.available(), {
        entries: 1n,
        bytes: 80n,
        durationNs: 0n,
      });
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: the segment being written is never evicted", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1_000_000n, 1n));
    try {
      for (let i = 0; i < 20; i++) log.append(BigInt(i * 1000), payload(i));
      assert.deepEqual(await segmentNames(dir), [segmentFileName(0n)]);
      assert.equal(log.available().entries, 20n);
      assert.equal((await drain(log, { kind: "start" })).length, 20);
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: retention_ns 0 keeps everything", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    try {
      for (let i = 0; i < 12; i++) {
        log.append(BigInt(i) * 1_000_000n, payload(i));
      }
      assert.equal((await segmentNames(dir)).length, 12);
      assert.equal(log.firstIndex, 0);
      assert.deepEqual(log.available(), {
        entries: 12n,
        bytes: 96n,
        durationNs: 11_000_000n,
      });
      assert.equal((await drain(log, { kind: "start" })).length, 12);
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: timestamps going backwards are clamped and counted", async () => {
  await withDir(async (dir) => {
    const logger = new MemoryLogger();
    const log = await SegmentLog.open(dir, options(1000n, 0n, 1 << 20, logger));
    try {
      log.append(1500n, payload(0));
      // Back into segment 0: recorded at 1500.
      assert.equal(log.append(200n, payload(1)), 1500n);
      assert.equal(log.clampedEntries, 1);
      assert.equal(logger.messages("WARN").length, 1);
      assert.match(logger.messages("WARN")[0], /went back 1300 ns/);
      log.append(1499n, payload(2));
      assert.equal(log.clampedEntries, 2);
      log.append(1600n, payload(3));
      assert.equal(log.clampedEntries, 2);
      assert.deepEqual(summary(await drain(log, { kind: "start" })), [
        [0, 1500n, 0],
        [1, 1500n, 1],
        [2, 1500n, 2],
        [3, 1600n, 3],
      ]);
    } finally {
      await log.close();
    }
    assert.deepEqual(await segmentNames(dir), [segmentFileName(1000n)]);
    const file = await parseSegmentFile(
      join(dir, "segments", segmentFileName(1000n)),
    );
    assert.deepEqual(file.entries.map(([ts]) => ts), [
      1500n,
      1500n,
      1500n,
      1600n,
    ]);
  });
});

Deno.test("SegmentLog: negative timestamps are refused", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    try {
      assert.throws(() => log.append(-1n, payload(0)), RangeError);
      assert.equal(log.nextIndex, 0);
      assert.deepEqual(await segmentNames(dir), []);
      log.append(0n, payload(0));
      assert.throws(() => log.append(-5n, payload(1)), RangeError);
      assert.equal(log.nextIndex, 1);
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: append after close throws", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    await log.close();
    assert.equal(log.closed, true);
    assert.throws(() => log.append(1n, payload(0)), /closed/);
    await log.close(); // idempotent
  });
});

Deno.test("SegmentLog: reopen preserves entries; indices and appends continue", async () => {
  await withDir(async (dir) => {
    const want: [number, bigint, number][] = [];
    let log = await SegmentLog.open(dir, options(1000n, 0n, 1));
    try {
      for (let i = 0; i < 7; i++) {
        log.append(BigInt(i * 400), payload(i));
        want.push([i, BigInt(i * 400), i]);
      }
    } finally {
      await log.close();
    }
    // The manifest on disk wins over the one passed when reopening.
    log = await SegmentLog.open(dir, options(5n, 7n, 1));
    try {
      assert.equal(log.manifest.segment_duration_ns, 1000n);
      assert.equal(log.manifest.retention_ns, 0n);
      assert.equal(log.nextIndex, 7);
      assert.equal(log.lastTimestampNs, 2400n);
      assert.deepEqual(summary(await drain(log, { kind: "start" })), want);
      // Into the last segment (2000..2999), then a new one.
      assert.equal(log.nextIndex, 7);
      log.append(2500n, payload(7));
      want.push([7, 2500n, 7]);
      assert.equal(log.nextIndex, 8);
      log.append(3100n, payload(8));
      want.push([8, 3100n, 8]);
      // Backwards across the reopen is clamped too.
      assert.equal(log.append(10n, payload(9)), 3100n);
      want.push([9, 3100n, 9]);
    } finally {
      await log.close();
    }
    log = await SegmentLog.open(dir, options(1000n, 0n, 1));
    try {
      assert.equal(log.nextIndex, 10);
      assert.deepEqual(summary(await drain(log, { kind: "start" })), want);
      const cursor = await log.cursor({
        kind: "timestamp",
        timestampNs: 2401n,
      });
      try {
        assert.deepEqual(
          summary(await readAvailable(log, cursor)),
          want.slice(7),
        );
      } finally {
        cursor.close();
      }
    } finally {
      await log.close();
    }
    const last = await parseSegmentFile(
      join(dir, "segments", segmentFileName(2000n)),
    );
    assert.deepEqual(last.entries.map(([ts]) => ts), [2000n, 2400n, 2500n]);
  });
});

Deno.test("SegmentLog: crash recovery drops a partial tail entry and appends cleanly", async () => {
  const tails: [string, Uint8Array][] = [
    ["part of an entry header", encodeEntryHeader(2600n, 8).subarray(0, 7)],
    [
      "a header and part of the payload",
      Uint8Array.from([...encodeEntryHeader(2600n, 100), ...payload(99, 40)]),
    ],
    ["garbage", new Uint8Array(13).fill(0xee)],
  ];
  for (const [what, tail] of tails) {
    await withDir(async (dir) => {
      let log = await SegmentLog.open(dir, options(1000n, 0n));
      try {
        for (let i = 0; i < 5; i++) log.append(BigInt(i * 600), payload(i));
      } finally {
        await log.close();
      }
      const path = join(dir, "segments", segmentFileName(2000n));
      const clean = (await Deno.stat(path)).size;
      // kill -9 in the middle of a write.
      using file = await Deno.open(path, { append: true });
      await file.write(tail);
      const logger = new MemoryLogger();
      log = await SegmentLog.open(dir, options(1000n, 0n, 1 << 20, logger));
      try {
        assert.equal((await Deno.stat(path)).size, clean, what);
        assert.ok(
          logger.messages("WARN").some((w) => w.includes("truncated entry")),
          what,
        );
        assert.equal(log.nextIndex, 5);
        log.append(2700n, payload(5));
        assert.equal(log.nextIndex, 6);
        log.append(3100n, payload(6));
      } finally {
        await log.close();
      }
      const parsed = await parseSegmentFile(path);
      assert.deepEqual(parsed.entries.map(([ts]) => ts), [2400n, 2700n], what);
      assert.deepEqual(parsed.entries[1][1], payload(5));
      log = await SegmentLog.open(dir, options(1000n, 0n, 1));
      try {
        assert.deepEqual(summary(await drain(log, { kind: "start" })), [
          [0, 0n, 0],
          [1, 600n, 1],
          [2, 1200n, 2],
          [3, 1800n, 3],
          [4, 2400n, 4],
          [5, 2700n, 5],
          [6, 3100n, 6],
        ]);
      } finally {
        await log.close();
      }
    });
  }
});

Deno.test("SegmentLog: a crash while opening a new segment does not block appends", async () => {
  await withDir(async (dir) => {
    let log = await SegmentLog.open(dir, options(1000n, 0n));
    try {
      log.append(100n, payload(0));
      log.append(600n, payload(1));
    } finally {
      await log.close();
    }
    // Killed right after creating segment 2000 and writing part of its
    // first entry.
    await Deno.writeFile(
      join(dir, "segments", segmentFileName(2000n)),
      Uint8Array.from([
        ...encodeSegmentHeader(2000n),
        ...encodeEntryHeader(2100n, 8).subarray(0, 6),
      ]),
    );
    log = await SegmentLog.open(dir, options(1000n, 0n));
    try {
      assert.equal(log.nextIndex, 2);
      assert.equal(log.lastTimestampNs, 600n);
      // The clock is earlier than the lost entry: back in segment 0.
      assert.equal(log.append(700n, payload(2)), 700n);
      log.append(2200n, payload(3));
      assert.deepEqual(summary(await drain(log, { kind: "start" })), [
        [0, 100n, 0],
        [1, 600n, 1],
        [2, 700n, 2],
        [3, 2200n, 3],
      ]);
    } finally {
      await log.close();
    }
    log = await SegmentLog.open(dir, options(1000n, 0n));
    try {
      assert.deepEqual(
        summary(await drain(log, { kind: "start" })).map(([, ts]) => ts),
        [100n, 600n, 700n, 2200n],
      );
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: a segment with a corrupt header is moved aside", async () => {
  await withDir(async (dir) => {
    let log = await SegmentLog.open(dir, options(1000n, 0n));
    try {
      log.append(100n, payload(0));
      log.append(1100n, payload(1));
      log.append(2100n, payload(2));
    } finally {
      await log.close();
    }
    const middle = join(dir, "segments", segmentFileName(1000n));
    const bytes = await Deno.readFile(middle);
    bytes.set([0x58, 0x58, 0x58, 0x58], 0); // magic destroyed
    await Deno.writeFile(middle, bytes);
    const logger = new MemoryLogger();
    log = await SegmentLog.open(dir, options(1000n, 0n, 1, logger));
    try {
      assert.deepEqual(await segmentNames(dir), [
        segmentFileName(0n),
        `${segmentFileName(1000n)}.corrupt`,
        segmentFileName(2000n),
      ]);
      assert.ok(logger.messages("WARN").some((w) => w.includes("moved aside")));
      assert.deepEqual(await Deno.readFile(`${middle}.corrupt`), bytes);
      assert.equal(log.nextIndex, 2);
      assert.deepEqual(summary(await drain(log, { kind: "start" })), [
        [0, 100n, 0],
        [1, 2100n, 2],
      ]);
      log.append(2200n, payload(3));
      assert.equal(log.available().entries, 3n);
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: waitFor wakes on append and on close", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    let woke = false;
    const onAppend = log.waitFor(0).then(() => woke = true);
    await delay(10);
    assert.equal(woke, false);
    log.append(1n, payload(0));
    await onAppend;
    assert.equal(woke, true);
    // An index that already exists resolves at once.
    await log.waitFor(0);

    let closed = false;
    const onClose = log.waitFor(5).then(() => closed = true);
    log.append(2n, payload(1)); // index 1: not enough
    await delay(10);
    assert.equal(closed, false);
    await log.close();
    await onClose;
    assert.equal(closed, true);
    await log.waitFor(100); // closed: resolves at once
  });
});

Deno.test("SegmentLog: waitFor honours an abort signal", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    try {
      const controller = new AbortController();
      const pending = log.waitFor(0, controller.signal);
      controller.abort(new Error("stop waiting"));
      await assert.rejects(pending, /stop waiting/);
      await assert.rejects(log.waitFor(0, controller.signal), /stop waiting/);
    } finally {
      await log.close();
    }
  });
});
