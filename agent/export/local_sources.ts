/**
 * The resources recorded in a storage root, as export sources: every log
 * the agent writes under `<storage>/logs/<peer_id>/` (sensor, pose and time
 * transform logs), read through {@link LogSnapshot}s so a running agent is
 * not disturbed, with the registry entries they refer to.
 *
 * @module
 */
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { TimeTransformEntrySchema } from "../../core/proto/gen/auki/time_transform_pb.ts";
import { readManifest } from "../logs/manifest.ts";
import { RegistryRef, SensorEntry } from "../../core/registries/entries.ts";
import { RegistryStore } from "../registries/store.ts";
import type { ChannelSource } from "../foxglove/channels.ts";
import type { ExportSource, RegistryAttachment } from "./export.ts";
import { LogSnapshot, type SnapshotEntry } from "./log_snapshot.ts";

/** A request the storage cannot answer (unknown resource, no logs). */
export class ExportInputError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ExportInputError";
  }
}

/** Which entries to export. */
export interface ExportSelection {
  /** Resource ids to export; every resource when empty. */
  resources: string[];
  /** Oldest UTC timestamp to export, ns. */
  fromNs?: bigint;
  /** Newest UTC timestamp to export, ns. */
  toNs?: bigint;
}

/** A local source and the bytes its log holds (for progress). */
export interface LocalSource extends ExportSource {
  /** Bytes of its segment files. */
  bytes: number;
}

/** Payload kinds of the built-in drivers by sensor kind (and rf type). */
function payloadOfSensor(sensor: SensorEntry): string {
  switch (sensor.kind) {
    case "camera":
      return "camera_frame";
    case "rangefinder":
      return "point_cloud_frame";
    case "joint_encoders":
      return "joint_encoders_frame";
    case "audio":
      return "audio_frame";
    case "scalar":
      return "scalar";
    case "rf":
      return sensor.type === "wifi"
        ? "auki_edge.rf.wifi_csi"
        : `auki_edge.rf.${sensor.type}`;
  }
}

/**
 * The export sources of `peerId`'s logs in `storage`. The time range
 * selects entries of sensor and pose logs (on the UTC clock) by their
 * timestamp, and entries of time transform logs (on a session clock) by the
 * time they map to (timestamp + offset).
 */
export async function localSources(
  storage: string,
  peerId: string,
  selection: ExportSelection,
): Promise<LocalSource[]> {
  const root = join(storage, "logs", peerId);
  const registry = new RegistryStore(peerId, join(storage, "registries"));
  const dirs: string[] = [];
  try {
    for await (const item of Deno.readDir(root)) {
      if (item.isDirectory) dirs.push(item.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  dirs.sort();
  const byId = new Map(dirs.map((d) => [decodeURIComponent(d), d]));
  if (byId.size === 0) {
    throw new ExportInputError(`${storage} holds no logs of peer ${peerId}`);
  }
  for (const id of selection.resources) {
    if (!byId.has(id)) {
      throw new ExportInputError(
        `unknown resource "${id}" (${storage} holds ${
          [...byId.keys()].join(", ")
        })`,
      );
    }
  }
  const wanted = selection.resources.length > 0
    ? selection.resources
    : [...byId.keys()];
  const sources: LocalSource[] = [];
  for (const resourceId of wanted) {
    const dir = join(root, byId.get(resourceId)!);
    const manifest = await readManifest(dir);
    if (manifest === undefined) continue;
    const described = await describe(resourceId, manifest, registry, peerId);
    if (described === undefined) continue;
    const snapshot = await LogSnapshot.open(dir);
    if (snapshot === undefined) continue;
    const range = { fromNs: selection.fromNs, toNs: selection.toNs };
    sources.push({
      channel: described.channel,
      metadata: {
        resource_id: resourceId,
        variant: described.variant,
        payload: described.channel.payload,
        source_peer_id: String(manifest.source_peer_id ?? peerId),
        writer_peer_id: String(manifest.writer_peer_id ?? peerId),
        clock_id: described.clock?.id ?? "",
      },
      manifest,
      registry: described.registry,
      bytes: snapshot.bytes,
      entries: () =>
        described.variant === "time_transform_log"
          ? mappedToUtc(snapshot.entries(), range)
          : snapshot.entries(range),
    });
  }
  return sources;
}

interface Described {
  variant: string;
  channel: ChannelSource;
  clock: RegistryRef | undefined;
  registry: RegistryAttachment[];
}

/** What a log's manifest says about its resource, with its registry entries. */
async function describe(
  resourceId: string,
  manifest: Record<string, unknown>,
  registry: RegistryStore,
  peerId: string,
): Promise<Described | undefined> {
  const entries: RegistryAttachment[] = [];
  const lookup = async (kind: "sensor" | "frame" | "clock", value: unknown) => {
    const ref = RegistryRef.safeParse(value);
    if (!ref.success) return undefined;
    const stored = await registry.get(kind, ref.data.id, ref.data.hash);
    if (stored === undefined) return undefined;
    entries.push({ peerId, ...stored });
    return JSON.parse(stored.canonicalJson) as unknown;
  };
  const clockRef = RegistryRef.safeParse(manifest.clock ?? manifest.from_clock);
  await lookup("clock", manifest.clock ?? manifest.from_clock);
  if (manifest.to_clock !== undefined) await lookup("clock", manifest.to_clock);
  const common = {
    clock: clockRef.success ? clockRef.data : undefined,
    registry: entries,
  };
  if (manifest.sensor !== undefined) {
    const sensor = SensorEntry.safeParse(
      await lookup("sensor", manifest.sensor),
    );
    const frame = RegistryRef.safeParse(manifest.frame);
    await lookup("frame", manifest.frame);
    return {
      ...common,
      variant: "sensor_log",
      channel: {
        resourceId,
        payload: sensor.success ? payloadOfSensor(sensor.data) : "unknown",
        sensor: sensor.success ? sensor.data : undefined,
        frameId: frame.success ? frame.data.id : undefined,
      },
    };
  }
  const from = RegistryRef.safeParse(manifest.from_frame);
  const to = RegistryRef.safeParse(manifest.to_frame);
  if (from.success && to.success) {
    await lookup("frame", manifest.from_frame);
    await lookup("frame", manifest.to_frame);
    return {
      ...common,
      variant: "pose_log",
      channel: {
        resourceId,
        payload: "spatial_transform",
        frames: { parent: from.data.id, child: to.data.id },
      },
    };
  }
  if (manifest.from_clock !== undefined) {
    return {
      ...common,
      variant: "time_transform_log",
      channel: { resourceId, payload: "time_transform" },
    };
  }
  return undefined;
}

/** The time transform entries whose mapped time (timestamp + offset) is in range. */
async function* mappedToUtc(
  entries: AsyncIterable<SnapshotEntry>,
  range: { fromNs?: bigint; toNs?: bigint },
): AsyncGenerator<SnapshotEntry> {
  for await (const entry of entries) {
    if (range.fromNs === undefined && range.toNs === undefined) {
      yield entry;
      continue;
    }
    const { offsetNs } = fromBinary(TimeTransformEntrySchema, entry.payload);
    const mapped = entry.timestampNs + offsetNs;
    if (range.toNs !== undefined && mapped > range.toNs) return;
    if (range.fromNs === undefined || mapped >= range.fromNs) yield entry;
  }
}
