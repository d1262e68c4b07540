/**
 * The write path of large entries: written off the event loop, in order,
 * readable once written, bounded, and recovering from a failed write.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ASYNC_WRITE_BYTES,
  LogBehindError,
  type LogOptions,
  SegmentLog,
} from "../../../agent/logs/log.ts";
import type { LogEntry } from "../../../agent/logs/cursor.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { withDir } from "../../helpers/temp_dir.ts";

const LARGE = ASYNC_WRITE_BYTES + 1000;

function options(
  extra: Partial<LogOptions> = {},
  cacheBytes = 1 << 20,
): LogOptions {
  return {
    manifest: {
      segment_duration_ns: 1000n,
      retention_ns: 0n,
      app_id: "log-test",
    },
    cacheBytes,
    ...extra,
  };
}

/** `size` bytes whose first four say `seq`. */
function payload(seq: number, size: number): Uint8Array {
  const out = new Uint8Array(size).fill(seq & 0xff);
  new DataView(out.buffer).setUint32(0, seq, true);
  return out;
}

function seqOf(entry: LogEntry): number {
  return new DataView(entry.payload.buffer, entry.payload.byteOffset)
    .getUint32(0, true);
}

/** Every entry from the start, as (seq, timestamp, size). */
async function readAll(log: SegmentLog): Promise<[number, bigint, number][]> {
  const cursor = await log.cursor({ kind: "start" });
  const out: [number, bigint, number][] = [];
  try {
    while (cursor.index < log.nextIndex) {
      const entry = (await cursor.next())!;
      out.push([seqOf(entry), entry.timestampNs, entry.payload.byteLength]);
    }
  } finally {
    cursor.close();
  }
  return out;
}

Deno.test("SegmentLog: a large entry is readable once written, and small ones queue behind it", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, options());
    try {
      const waiting = log.cursor({ kind: "latest" }).then((c) => c.next());
      assert.equal(log.append(100n, payload(0, LARGE)), 100n);
      // Not written yet: not readable, and the small entry behind it waits.
      log.append(200n, payload(1, 16));
      assert.equal(log.nextIndex, 0);
      assert.equal(log.available().entries, 0n);
      const first = (await waiting)!;
      assert.equal(seqOf(first), 0);
      await log.written();
      assert.equal(log.nextIndex, 2);
      assert.deepEqual(await readAll(log), [[0, 100n, LARGE], [1, 200n, 16]]);
      // The queue is empty again: small entries are readable at once.
      log.append(300n, payload(2, 16));
      assert.equal(log.nextIndex, 3);
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: large entries across segments read back from disk in order, also after a reopen", async () => {
  await withDir(async (dir) => {
    // A cache of one entry: everything but the newest is read from disk.
    let log = await SegmentLog.open(dir, options({}, 1));
    const want: [number, bigint, number][] = [];
    try {
      for (let i = 0; i < 12; i++) {
        const size = i % 3 === 2 ? 32 : LARGE + i;
        const ts = BigInt(i * 400);
        log.append(ts, payload(i, size));
        want.push([i, ts, size]);
      }
      await log.written();
      assert.deepEqual(await readAll(log), want);
    } finally {
      await log.close();
    }
    log = await SegmentLog.open(dir, options());
    try {
      assert.deepEqual(await readAll(log), want);
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: close writes the queued entries first", async () => {
  await withDir(async (dir) => {
    let log = await SegmentLog.open(dir, options());
    for (let i = 0; i < 5; i++) log.append(BigInt(i), payload(i, LARGE));
    await log.close();
    assert.throws(() => log.append(10n, payload(9, 16)), /closed/);
    log = await SegmentLog.open(dir, options());
    try {
      assert.deepEqual((await readAll(log)).map(([seq]) => seq), [
        0,
        1,
        2,
        3,
        4,
      ]);
    } finally {
      await log.close();
    }
  });
});

Deno.test("SegmentLog: an append past maxUnwrittenBytes is refused and loses nothing else", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(
      dir,
      options({ maxUnwrittenBytes: 3 * LARGE }),
    );
    try {
      for (let i = 0; i < 3; i++) log.append(BigInt(i), payload(i, LARGE));
      assert.throws(
        () => log.append(3n, payload(3, LARGE)),
        (error) =>
          error instanceof LogBehindError &&
          /MiB behind on .*; entry dropped/.test(error.message),
      );
      await log.written();
      // Once written, appends are taken again.
      log.append(4n, payload(4, LARGE));
      await log.written();
      assert.deepEqual((await readAll(log)).map(([seq]) => seq), [0, 1, 2, 4]);
    } finally {
      await log.close();
    }
  });
});

/** Mounts a tmpfs of `bytes` at a new directory; throws why it cannot. */
async function smallDisk(bytes: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "auki-log-full-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${bytes}`, "tmpfs", dir],
    stdout: "null",
    stderr: "piped",
  }).output().catch((error) => ({
    success: false,
    stderr: new TextEncoder().encode(String(error)),
  }));
  if (!mount.success) {
    await Deno.remove(dir);
    throw new Error(new TextDecoder().decode(mount.stderr).trim());
  }
  return dir;
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir] }).output();
  await Deno.remove(dir, { recursive: true });
}

/** Why a tmpfs cannot be mounted here (not root, no mount), if it cannot. */
const noSmallDisk = await smallDisk(4096).then(unmount).then(
  () => undefined,
  (error: Error) => error.message,
);
if (noSmallDisk !== undefined) {
  console.warn(
    `skipping the full-disk test: cannot mount a tmpfs (${noSmallDisk})`,
  );
}

Deno.test({
  name:
    "SegmentLog: a write that fails (disk full) loses that entry only, with an error",
  ignore: noSmallDisk !== undefined,
  async fn() {
    const root = await smallDisk(512 * 1024);
    const logger = new MemoryLogger();
    const errors = () => logger.messages("ERROR");
    try {
      const log = await SegmentLog.open(join(root, "log"), options({ logger }));
      try {
        // 512 KiB hold four of these entries and the manifest, not five.
        for (let i = 0; i < 5; i++) log.append(BigInt(i), payload(i, 120_000));
        await log.written();
        assert.deepEqual((await readAll(log)).map(([seq]) => seq), [
          0,
          1,
          2,
          3,
        ]);
        assert.equal(errors().length, 1);
        assert.match(errors()[0], /could not be written and is lost/);
        // The failed write was cut back: a small entry follows entry 3.
        log.append(10n, payload(10, 64));
        assert.deepEqual((await readAll(log)).map(([seq]) => seq), [
          0,
          1,
          2,
          3,
          10,
        ]);
      } finally {
        await log.close();
      }
      const reopened = await SegmentLog.open(join(root, "log"), options());
      try {
        assert.deepEqual((await readAll(reopened)).map(([seq]) => seq), [
          0,
          1,
          2,
          3,
          10,
        ]);
      } finally {
        await reopened.close();
      }
    } finally {
      await unmount(root);
    }
  },
});
