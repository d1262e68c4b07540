/**
 * Reading a log read-only while it is written: the snapshot reads the
 * complete entries present when it was taken, in range, and changes nothing
 * in the directory.
 *
 * @module
 */
import assert from "node:assert/strict";
import { withDir } from "../../helpers/temp_dir.ts";
import { join } from "node:path";
import { SegmentLog } from "../../../agent/logs/log.ts";
import { encodeEntryHeader } from "../../../agent/logs/segment.ts";
import { LogSnapshot } from "../../../agent/export/log_snapshot.ts";

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const item of Deno.readDir(join(dir, "segments"))) {
    const info = await Deno.stat(join(dir, "segments", item.name));
    out.push(`${item.name} ${info.size} ${info.mtime?.getTime()}`);
  }
  return out.sort();
}

async function collect(
  snapshot: LogSnapshot,
  range?: { fromNs?: bigint; toNs?: bigint },
): Promise<bigint[]> {
  const out: bigint[] = [];
  for await (const e of snapshot.entries(range)) out.push(e.timestampNs);
  return out;
}

Deno.test("log snapshot: complete entries present at the snapshot, in range, nothing changed", async () => {
  await withDir(async (dir) => {
    const log = await SegmentLog.open(dir, {
      manifest: { segment_duration_ns: 1_000n, retention_ns: 0n },
      cacheBytes: 1024,
    });
    // 30 entries over three segments; every fifth is large (over 1 MiB,
    // read past the read buffer) and holds its own index in every byte.
    for (let i = 0; i < 30; i++) {
      const size = i % 5 === 0 ? 1_500_000 : 100 + i;
      log.append(BigInt(i * 100), new Uint8Array(size).fill(i));
    }
    await log.written();
    // A writer's half-written tail: a header announcing more than follows.
    const last = join(dir, "segments", "00000000000000002000.seg");
    const file = await Deno.open(last, { append: true });
    await file.write(encodeEntryHeader(3_000n, 5_000));
    await file.write(new Uint8Array(10));
    file.close();
    const before = await listing(dir);

    const snapshot = (await LogSnapshot.open(dir))!;
    log.append(3_100n, new Uint8Array(10)); // after the snapshot
    await log.written();
    const all: bigint[] = [];
    for await (const e of snapshot.entries()) {
      const i = Number(e.timestampNs / 100n);
      assert.equal(e.payload.byteLength, i % 5 === 0 ? 1_500_000 : 100 + i);
      assert(e.payload.every((b) => b === i), `entry ${i} payload`);
      all.push(e.timestampNs);
    }
    assert.deepEqual(
      all,
      Array.from({ length: 30 }, (_, i) => BigInt(i * 100)),
    );
    assert.deepEqual(
      await collect(snapshot, { fromNs: 1_250n, toNs: 2_100n }),
      [1_300n, 1_400n, 1_500n, 1_600n, 1_700n, 1_800n, 1_900n, 2_000n, 2_100n],
    );
    assert.deepEqual(await collect(snapshot, { fromNs: 5_000n }), []);
    await log.close();
    assert.deepEqual((await listing(dir)).slice(0, 2), before.slice(0, 2));
    assert.equal(await LogSnapshot.open(join(dir, "nothing")), undefined);
  });
});
