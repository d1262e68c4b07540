/**
 * The one log path: common manifest fields on a new log, a fixed head's
 * `started_at_ns`, a new retention applied to an existing log, and a log
 * with an unreadable manifest archived when its recording is checked.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  openOwnLog,
  type OwnLogContext,
  type OwnLogSpec,
} from "../../../agent/catalog/own_log.ts";
import { logDir } from "../../../agent/logs/log_dirs.ts";
import { MANIFEST_FILE, readManifest } from "../../../agent/logs/manifest.ts";
import { silentLogger } from "../../../core/logging.ts";
import { withDir } from "../../helpers/temp_dir.ts";

const CLOCK = { peer_id: "edge", id: "session/clock", hash: "0".repeat(32) };

function context(storage: string, warnings: string[] = []): OwnLogContext {
  return {
    storage,
    peerId: "edge",
    sessionId: "session-1",
    logger: { ...silentLogger, warn: (m: string) => warnings.push(m) },
  };
}

function spec(retentionNs: bigint, extra: Partial<OwnLogSpec> = {}) {
  const manifest = {
    from_clock: CLOCK,
    to_clock: CLOCK,
    source: { kind: "local_clock_read" },
  } as const;
  return {
    id: "a->b",
    fields: manifest,
    retention: { retentionNs, cacheBytes: 1024 },
    nowNs: 42n,
    kind: () => ({ variant: "time_transform_log" as const, manifest }),
    ...extra,
  };
}

Deno.test("openOwnLog: a new log gets the common manifest fields and serves a row", async () => {
  await withDir(async (storage) => {
    const resource = await openOwnLog(context(storage), spec(0n));
    try {
      const manifest = await readManifest(logDir(storage, "edge", "a->b"));
      assert.equal(manifest!.app_id, "auki-edge");
      assert.equal(manifest!.session_id, "session-1");
      assert.equal(manifest!.source_peer_id, "edge");
      assert.equal(manifest!.writer_peer_id, "edge");
      assert.equal(BigInt(manifest!.started_at_ns as number), 42n);
      assert.deepEqual(manifest!.from_clock, CLOCK);
      assert.equal(resource.id, "a->b");
      assert.equal(resource.online, false);
      assert.deepEqual(resource.row().head, {
        kind: "fixed",
        started_at_ns: 42n,
      });
    } finally {
      await resource.log.close();
    }
  });
});

Deno.test("openOwnLog: an existing log takes the retention asked for", async () => {
  await withDir(async (storage) => {
    const first = await openOwnLog(context(storage), spec(60_000_000_000n));
    await first.log.close();
    const second = await openOwnLog(context(storage), spec(3_600_000_000_000n));
    try {
      assert.equal(second.log.manifest.retention_ns, 3_600_000_000_000n);
      const onDisk = await readManifest(logDir(storage, "edge", "a->b"));
      assert.equal(onDisk!.retention_ns, 3_600_000_000_000n);
    } finally {
      await second.log.close();
    }
  });
});

Deno.test("openOwnLog: a checked log with an unreadable manifest is archived", async () => {
  await withDir(async (storage) => {
    const dir = logDir(storage, "edge", "a->b");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(join(dir, MANIFEST_FILE), "{ not json");
    const warnings: string[] = [];
    const resource = await openOwnLog(
      context(storage, warnings),
      spec(0n, { recorded: { same: () => true, what: 'log "a->b"' } }),
    );
    try {
      assert.equal(resource.log.available().entries, 0n);
      assert.match(warnings.join("\n"), /unreadable manifest/);
      assert.match(
        warnings.join("\n"),
        /log "a->b" changed since its log was recorded; the old log was moved to .*archive/,
      );
    } finally {
      await resource.log.close();
    }
  });
});
