/**
 * Pose logs: the on-disk manifest has the SDK's pose log keys, the catalog
 * row has the locked `pose_log` row's shape (spec wire.md 5.3), the stream
 * manifest carries the frame pair (fields 9 to 14), and a log recorded for
 * other frames is archived rather than mixed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { canonicalJson } from "../../../core/codec/json.ts";
import { readManifest } from "../../../agent/logs/manifest.ts";
import { logDir } from "../../../agent/logs/log_dirs.ts";
import { openOwnLog } from "../../../agent/catalog/own_log.ts";
import { type Logger, silentLogger } from "../../../core/logging.ts";
import {
  poseLogId,
  type PoseLogIdentity,
  poseLogSpec,
} from "../../../agent/sensors/pose_log.ts";
import { withDir } from "../../helpers/temp_dir.ts";

const IDENTITY: PoseLogIdentity = {
  peerId: "galbot",
  fromFrame: {
    peer_id: "galbot",
    id: "world",
    hash: "2cbe0d5894d3346daa167ecb077cce98",
  },
  toFrame: {
    peer_id: "galbot",
    id: "base_link",
    hash: "16645bd8584e5ca5fa1030b439da92dc",
  },
  clock: {
    peer_id: "galbot",
    id: "session/sdk_clock",
    hash: "fb0120a35f4fd1de8a7d46f5e76b7f68",
  },
  writerMode: "movable",
  rateHz: 9.6,
  nowNs: 1_733_836_800_000_000_000n,
};
const RETENTION = { retentionNs: 60_000_000_000n, cacheBytes: 1 << 16 };

/** Opens the pose log of `identity` as the agent does. */
function openPoseLog(
  storage: string,
  identity: PoseLogIdentity,
  logger: Logger = silentLogger,
) {
  return openOwnLog(
    { storage, peerId: "galbot", sessionId: "01HV-galbot-session", logger },
    poseLogSpec(identity, RETENTION),
  );
}

async function withStorage(work: (storage: string) => Promise<void>) {
  await withDir(async (storage) => {
    await work(storage);
  }, "auki-edge-pose-");
}

Deno.test("pose log: the manifest, catalog row and stream manifest", async () => {
  await withStorage(async (storage) => {
    const resource = await openPoseLog(storage, IDENTITY);
    const log = resource.log;
    try {
      assert.equal(
        poseLogId(IDENTITY.fromFrame, IDENTITY.toFrame),
        "world->base_link",
      );
      const onDisk = await readManifest(
        logDir(storage, "galbot", "world->base_link"),
      );
      // The keys of the SDK's locked pose_log_movable.json manifest.
      assert.deepEqual(Object.keys(onDisk!).sort(), [
        "app_id",
        "clock",
        "expected_rate_hz",
        "from_frame",
        "retention_ns",
        "segment_duration_ns",
        "session_id",
        "source",
        "source_peer_id",
        "to_frame",
        "writer_mode",
        "writer_peer_id",
      ]);
      assert.equal(onDisk!.writer_mode, "movable");
      assert.deepEqual(onDisk!.source, { kind: "manual" });
      log.append(IDENTITY.nowNs, new Uint8Array(80));
      assert.equal(resource.variant, "pose_log");
      assert.equal(
        canonicalJson(resource.row()),
        '{"available":{"bytes":80,"duration_ns":0,"entries":1},' +
          '"head":{"kind":"rolling","retention_ns":60000000000},' +
          '"manifest":{"clock":{"hash":"fb0120a35f4fd1de8a7d46f5e76b7f68","id":"session/sdk_clock","peer_id":"galbot"},' +
          '"expected_rate_hz":10,' +
          '"from_frame":{"hash":"2cbe0d5894d3346daa167ecb077cce98","id":"world","peer_id":"galbot"},' +
          '"source":{"kind":"manual"},' +
          '"to_frame":{"hash":"16645bd8584e5ca5fa1030b439da92dc","id":"base_link","peer_id":"galbot"}},' +
          '"pose":{"writer_mode":"movable"},"resource_id":"world->base_link",' +
          '"source_peer_id":"galbot","state":"live","variant":"pose_log","writer_peer_id":"galbot"}',
      );
      assert.deepEqual(resource.streamManifest(), {
        clockId: "session/sdk_clock",
        clockHash: "fb0120a35f4fd1de8a7d46f5e76b7f68",
        clockPeerId: "galbot",
        resourceId: "world->base_link",
        payload: "spatial_transform",
        fromFrameId: "world",
        fromFrameHash: "2cbe0d5894d3346daa167ecb077cce98",
        toFrameId: "base_link",
        toFrameHash: "16645bd8584e5ca5fa1030b439da92dc",
        writerMode: "movable",
        expectedRateHz: 10,
      });
    } finally {
      await log.close();
    }
  });
});

Deno.test("pose log: a log recorded for another frame is archived", async () => {
  await withStorage(async (storage) => {
    const first = (await openPoseLog(storage, IDENTITY)).log;
    first.append(IDENTITY.nowNs, new Uint8Array(8));
    await first.close();
    const lines: string[] = [];
    const moved = {
      ...IDENTITY,
      toFrame: { ...IDENTITY.toFrame, hash: "0".repeat(32) },
    };
    const second = (await openPoseLog(storage, moved, {
      ...silentLogger,
      warn: (m: string) => lines.push(m),
    })).log;
    try {
      assert.equal(second.available().entries, 0n);
      assert.match(
        lines.join("\n"),
        /pose log "world->base_link" changed since its log was recorded; the old log was moved to .*archive/,
      );
      const archive = join(storage, "archive", "galbot");
      const [entry] = await Array.fromAsync(Deno.readDir(archive));
      assert.equal(entry.name, encodeURIComponent("world->base_link"));
    } finally {
      await second.close();
    }
  });
});
