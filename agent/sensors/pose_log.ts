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
import type { OwnLogSpec, Retention } from "../catalog/own_log.ts";
import type { Extent, PoseLogManifest } from "../catalog/resource_entry.ts";
import { RegistryRef } from "../../core/registries/entries.ts";

/** What identifies a pose log's contents. */
export interface PoseLogIdentity {
  /** The writing (and source) peer. */
  peerId: string;
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
 * A pose log; with `extent`, a sealed log spanning it. A log recorded for
 * other frames, another writer mode or another peer is archived first.
 */
export function poseLogSpec(
  identity: PoseLogIdentity,
  retention: Retention,
  extent?: Extent,
): OwnLogSpec {
  const id = poseLogId(identity.fromFrame, identity.toFrame);
  return {
    id,
    fields: { ...poseManifest(identity), writer_mode: identity.writerMode },
    retention,
    nowNs: identity.nowNs,
    recorded: {
      same: (manifest) => samePose(manifest, identity),
      what: `pose log "${id}"`,
    },
    kind: (log) => ({
      variant: "pose_log",
      writerMode: identity.writerMode,
      // An existing log keeps the clock it was recorded on.
      manifest: {
        ...poseManifest(identity),
        clock: RegistryRef.parse(log.manifest.clock),
      },
    }),
    extent,
  };
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
