/**
 * Reading a segment log through cursors: latest, start and timestamp read
 * positions, the cache and the disk, eviction and close.
 */
import assert from "node:assert/strict";
import { type LogEntry, LogEvictedError } from "../../../agent/logs/cursor.ts";
import { SegmentLog } from "../../../agent/logs/log.ts";
import { segmentFileName } from "../../../agent/logs/segment.ts";
import {
  drain,
  options,
  payload,
  readAvailable,
  segmentNames,
  summary,
} from "./_log.ts";
import { delay } from "../../helpers/wait.ts";
import { withDir } from "../../helpers/temp_dir.ts";

Deno.test("SegmentLog: a latest cursor sees only later entries and waits for them", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    const cursor = await (async () => {
      log.append(10n, payload(0));
      log.append(20n, payload(1));
      return await log.cursor({ kind: "latest" });
    })();
    try {
      assert.equal(cursor.index, 2);
      let got: LogEntry | null | undefined;
      const pending = cursor.next().then((e) => got = e);
      await delay(20);
      assert.equal(got, undefined, "next() must wait for an append");
      log.append(30n, payload(2));
      const entry = await pending;
      assert.ok(entry);
      assert.equal(entry.index, 2);
      assert.equal(entry.timestampNs, 30n);
      assert.deepEqual(entry.payload, payload(2));
    } finally {
      cursor.close();
      await log.close();
    }
  });
});

for (const cacheBytes of [1 << 20, 1]) {
  const where = cacheBytes === 1 ? "disk" : "cache";
  Deno.test(`SegmentLog: timestamp cursors (${where})`, async () => {
    await withDir(async (dir) => {
      // 1000 ns segments, entries every 300 ns: several segments.
      const log = await SegmentLog.open(dir, options(1000n, 0n, cacheBytes));
      try {
        const stamps = [100n, 400n, 700n, 1000n, 1300n, 1300n, 1600n, 2900n];
        stamps.forEach((ts, i) => log.append(ts, payload(i)));
        assert.deepEqual(await segmentNames(dir), [
          segmentFileName(0n),
          segmentFileName(1000n),
          segmentFileName(2000n),
        ]);
        const firstAtOrAfter = async (t: bigint) => {
          const cursor = await log.cursor({
            kind: "timestamp",
            timestampNs: t,
          });
          try {
            const index = cursor.index;
            const entries = await readAvailable(log, cursor);
            return { index, entries: summary(entries) };
          } finally {
            cursor.close();
          }
        };
        const expect = (from: number) =>
          stamps.slice(from).map((ts, i) => [from + i, ts, from + i]);
        // Exactly on an entry.
        assert.deepEqual(await firstAtOrAfter(400n), {
          index: 1,
          entries: expect(1),
        });
        // Between entries, within a segment and across a segment boundary.
        assert.deepEqual(await firstAtOrAfter(401n), {
          index: 2,
          entries: expect(2),
        });
        assert.deepEqual(await firstAtOrAfter(701n), {
          index: 3,
          entries: expect(3),
        });
        assert.deepEqual(await firstAtOrAfter(1700n), {
          index: 7,
          entries: expect(7),
        });
        // Equal timestamps: the first of them.
        assert.deepEqual(await firstAtOrAfter(1300n), {
          index: 4,
          entries: expect(4),
        });
        // Before everything: the first entry.
        assert.deepEqual(await firstAtOrAfter(0n), {
          index: 0,
          entries: expect(0),
        });
        // The newest entry exactly.
        assert.deepEqual(await firstAtOrAfter(2900n), {
          index: 7,
          entries: expect(7),
        });
        // After everything: behaves like latest.
        const after = await log.cursor({
          kind: "timestamp",
          timestampNs: 5000n,
        });
        try {
          assert.equal(after.index, 8);
          log.append(6000n, payload(8));
          assert.deepEqual(summary([(await after.next())!]), [[8, 6000n, 8]]);
        } finally {
          after.close();
        }
      } finally {
        await log.close();
      }
    });
  });
}

Deno.test("SegmentLog: readers outside the cache read from disk across segments", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n, 32));
    try {
      const appended: [number, bigint, number][] = [];
      for (let i = 0; i < 60; i++) {
        const ts = BigInt(i * 170);
        log.append(ts, payload(i, 16));
        appended.push([i, ts, i]);
      }
      assert.ok((await segmentNames(dir)).length >= 10);
      const read = await drain(log, { kind: "start" });
      assert.deepEqual(summary(read), appended);
      for (const entry of read) {
        assert.deepEqual(entry.payload, payload(entry.index, 16));
      }
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: a cursor keeps up from the cache, falls behind, catches up from disk", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n, 40));
    const start = await log.cursor({ kind: "start" });
    const latest = await log.cursor({ kind: "latest" });
    try {
      const seen: [number, bigint, number][] = [];
      const want: [number, bigint, number][] = [];
      let i = 0;
      const add = () => {
        const ts = BigInt(i * 250);
        log.append(ts, payload(i, 20));
        want.push([i, ts, i]);
        i++;
      };
      // Keep up: read right after every append.
      for (let k = 0; k < 5; k++) {
        add();
        seen.push(...summary([(await start.next())!]));
      }
      // Fall behind by many entries and several segments.
      for (let k = 0; k < 30; k++) add();
      // Interleave: a read from disk while the writer keeps appending.
      for (let k = 0; k < 10; k++) {
        seen.push(...summary([(await start.next())!]));
        add();
      }
      seen.push(...summary(await readAvailable(log, start)));
      assert.deepEqual(seen, want);
      // The latest cursor was created on an empty log: it sees everything.
      assert.deepEqual(summary(await readAvailable(log, latest)), want);
    } finally {
      start.close();
      latest.close();
      await log.close();
    }
  });
});

Deno.test("SegmentLog: a latest cursor on a full segment reads on past a roll-over from disk", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n, 1));
    try {
      log.append(100n, payload(0));
      log.append(900n, payload(1));
      const cursor = await log.cursor({ kind: "latest" });
      try {
        log.append(1100n, payload(2));
        log.append(2100n, payload(3));
        log.append(2200n, payload(4));
        assert.deepEqual(summary(await readAvailable(log, cursor)), [
          [2, 1100n, 2],
          [3, 2100n, 3],
          [4, 2200n, 4],
        ]);
      } finally {
        cursor.close();
      }
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: a cursor behind eviction gets LogEvictedError", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 1000n, 1));
    const fromStart = await log.cursor({ kind: "start" });
    const midway = await log.cursor({ kind: "start" });
    try {
      log.append(100n, payload(0));
      log.append(200n, payload(1));
      log.append(300n, payload(2));
      log.append(1100n, payload(3));
      assert.deepEqual(summary([(await midway.next())!]), [[0, 100n, 0]]);
      log.append(2000n, payload(4)); // 2000 - 1000 >= end of segment 0
      assert.equal(log.firstIndex, 3);
      await assert.rejects(
        fromStart.next(),
        (e) => e instanceof LogEvictedError && e.missed === 3,
      );
      await assert.rejects(
        midway.next(),
        (e) => e instanceof LogEvictedError && e.missed === 2,
      );
      // A fresh cursor from the start begins at the oldest retained entry.
      assert.deepEqual(summary(await drain(log, { kind: "start" })), [
        [3, 1100n, 3],
        [4, 2000n, 4],
      ]);
    } finally {
      fromStart.close();
      midway.close();
      await log.close();
    }
  });
});

Deno.test("SegmentLog: a reader with an open segment file survives its eviction", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 1000n, 1));
    const cursor = await log.cursor({ kind: "start" });
    try {
      log.append(100n, payload(0));
      log.append(200n, payload(1));
      log.append(1500n, payload(2));
      // Read entry 0 from disk: the cursor now holds segment 0 open.
      assert.deepEqual(summary([(await cursor.next())!]), [[0, 100n, 0]]);
      log.append(2500n, payload(3));
      await assert.rejects(cursor.next(), LogEvictedError);
    } finally {
      cursor.close();
      await log.close();
    }
  });
});

Deno.test("LogCursor: next() resolves null after close once everything is read", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n, 1));
    const waiting = await log.cursor({ kind: "latest" });
    const unread = await log.cursor({ kind: "start" });
    try {
      const pending = waiting.next();
      log.append(10n, payload(0));
      log.append(1010n, payload(1));
      assert.deepEqual(summary([(await pending)!]), [[0, 10n, 0]]);
      const blocked = (async () => {
        await waiting.next(); // entry 1
        return await waiting.next(); // waits for entry 2 until close
      })();
      await delay(10);
      await log.close();
      assert.equal(await blocked, null);
      assert.equal(await waiting.next(), null);
      // A cursor with unread entries still gets them, then null.
      assert.deepEqual(
        summary([(await unread.next())!, (await unread.next())!]),
        [
          [0, 10n, 0],
          [1, 1010n, 1],
        ],
      );
      assert.equal(await unread.next(), null);
    } finally {
      waiting.close();
      unread.close();
      await log.close();
    }
  });
});

Deno.test("LogCursor: an empty log's cursor gets null on close", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1000n, 0n));
    const cursor = await log.cursor({ kind: "start" });
    try {
      const pending = cursor.next();
      await log.close();
      assert.equal(await pending, null);
    } finally {
      cursor.close();
    }
  });
});

Deno.test("SegmentLog: from_timestamp beyond the newest entry serves every new entry (spec wire.md 7.4)", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options(1_000n, 0n));
    try {
      log.append(100n, payload(0));
      const cursor = await log.cursor({ kind: "timestamp", timestampNs: 500n });
      log.append(300n, payload(1));
      log.append(500n, payload(2));
      log.append(400n, payload(3)); // clamped to 500
      log.append(900n, payload(4));
      const got = [
        await cursor.next(),
        await cursor.next(),
        await cursor.next(),
        await cursor.next(),
      ];
      // The live tail is not filtered: 300 < 500 is served.
      assert.deepEqual(got.map((e) => e?.timestampNs), [
        300n,
        500n,
        500n,
        900n,
      ]);
      cursor.close();
    } finally {
      await log.close();
    }
  });
});
