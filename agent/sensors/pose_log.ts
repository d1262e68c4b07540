/**
 * Pose logs this agent writes (spec wire.md 5.2 `pose_log`): one ordered
 * frame pair each, the pose of the child (`to_frame`) in the parent
 * (`from_frame`), entries `auki.pose.SpatialTransform`, resource id
 * `<from_frame>-><to_frame>`. The on-disk manifest is the SDK's pose log
 * manifest (`crates/auki-manifests` `pose_log_movable.json`). The source is
 * `{"kind":"manual"}`: generation A's `PoseSource` knows only `manual` and
 * `ros2_tf`, and a Rust peer rejects any other kind.
 *
 * @module
 */
import { LogResource } from "../catalog/log_resource.ts";
import type { Extent, PoseLogManifest } from "../catalog/resource_entry.ts";
import type { SegmentLog } from "../logs/log.ts";
import { logDir } from "../logs/log_dirs.ts";
import type { Logger } from "../../core/logging.ts";
import { RegistryRef } from "../../core/registries/entries.ts";
import { archiveChanged, openOwnLog, type Retention } from "./sensor_log.ts";

/** What identifies a pose log's contents. */
export interface PoseLogIdentity {
  /** The writing (and source) peer. */
  peerId: string;
  /** The current session. */
  sessionId: string;
  /** The parent frame. */
  fromFrame: RegistryRef;
  /** The child frame. */
  toFrame: RegistryRef;
  /** The clock of the entries' timestamps. */
  clock: RegistryRef;
  /** `movable` (time-varying) or `rigid` (stationary). */
  writerMode: "movable" | "rigid";
  /** Nominal entry rate, Hz (0: unspecified). */
  rateHz: number;
  /** Now on `clock`, for a fixed head's `started_at_ns`. */
  nowNs: bigint;
}

/** The resource id of the pose log from `from` to `to`: `<from>-><to>`. */
export function poseLogId(from: { id: string }, to: { id: string }): string {
  return `${from.id}->${to.id}`;
}

/**
 * Opens a pose log. A log recorded for other frames, another writer mode or
 * another peer is archived first (see {@link archiveChanged}).
 */
export async function openPoseLog(
  storage: string,
  identity: PoseLogIdentity,
  retention: Retention,
  logger: Logger,
): Promise<SegmentLog> {
  const id = poseLogId(identity.fromFrame, identity.toFrame);
  const dir = logDir(storage, identity.peerId, id);
  await archiveChanged(
    { storage, peerId: identity.peerId, resourceId: id, dir },
    (manifest) => samePose(manifest, identity),
    `pose log "${id}"`,
    logger,
  );
  const manifest = poseManifest(identity);
  return await openOwnLog(
    dir,
    identity,
    {
      ...manifest,
      writer_mode: identity.writerMode,
    },
    retention,
    logger,
  );
}

/**
 * The catalog resource serving pose log `log` (offline until told
 * otherwise); with `extent`, a sealed log spanning it.
 */
export function poseLogResource(
  identity: PoseLogIdentity,
  log: SegmentLog,
  extent?: Extent,
): LogResource {
  return new LogResource({
    id: poseLogId(identity.fromFrame, identity.toFrame),
    sourcePeerId: identity.peerId,
    writerPeerId: identity.peerId,
    log,
    extent,
    kind: {
      variant: "pose_log",
      writerMode: identity.writerMode,
      manifest: { ...poseManifest(identity), clock: manifestClockOf(log) },
    },
  });
}

function poseManifest(identity: PoseLogIdentity): PoseLogManifest {
  return {
    from_frame: identity.fromFrame,
    to_frame: identity.toFrame,
    clock: identity.clock,
    source: { kind: "manual" },
    expected_rate_hz: Math.round(identity.rateHz),
  };
}

/** The clock the log's entries are on (an existing log keeps its own). */
function manifestClockOf(log: SegmentLog): RegistryRef {
  return RegistryRef.parse(log.manifest.clock);
}

function samePose(
  manifest: Record<string, unknown>,
  identity: PoseLogIdentity,
): boolean {
  const from = RegistryRef.safeParse(manifest.from_frame);
  const to = RegistryRef.safeParse(manifest.to_frame);
  const clock = RegistryRef.safeParse(manifest.clock);
  return from.success && to.success && clock.success &&
    from.data.hash === identity.fromFrame.hash &&
    to.data.hash === identity.toFrame.hash &&
    manifest.writer_mode === identity.writerMode &&
    manifest.writer_peer_id === identity.peerId;
}
