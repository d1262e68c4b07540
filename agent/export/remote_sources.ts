/**
 * Resources of a remote peer as export sources: their catalog rows and
 * registry entries over `/auki/resources/0.2.0` and `/auki/registries/0.2.0`
 * (or the peer's authenticated gen-B requests), their entries over
 * `/auki/stream/0.2.0` (likewise) from `--from` until the first
 * entry after `--to` (or until the stream stays idle, for logs written
 * rarely, such as static transforms).
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { ResourceEntry } from "../catalog/resource_entry.ts";
import { requestRegistryEntry } from "../protocols/registries.ts";
import { requestResources } from "../protocols/resources.ts";
import type { Subscription } from "../protocols/stream_consumer.ts";
import type { ReadFrom } from "../logs/log.ts";
import { RegistryRef, SensorEntry } from "../../core/registries/entries.ts";
import type { ExportSource, RegistryAttachment } from "./export.ts";
import { ExportInputError } from "./local_sources.ts";
import type { SnapshotEntry } from "./log_snapshot.ts";

/** How long a stream may stay silent before its export ends, ms. */
const REMOTE_IDLE_MS = 3_000;

/** The peer to export from, as a command reaches it (`cli/client.ts` Device). */
export interface RemotePeer {
  /** The client node. */
  node: Libp2p;
  /** The peer's address. */
  target: Multiaddr;
  /** Opens a subscription (retrying while a cluster membership settles). */
  subscribe(resourceId: string, from?: ReadFrom): Promise<Subscription>;
  /** Runs a request (retrying while a cluster membership settles). */
  request<T>(work: () => Promise<T>): Promise<T>;
  /** Fetches the catalog rows (default: `/auki/resources/0.2.0`). */
  resources?(): Promise<ResourceEntry[]>;
  /** Sends a registries request (default: `/auki/registries/0.2.0`). */
  sendRegistries?(body: Uint8Array): Promise<Uint8Array>;
}

/** Opens a subscription from `fromNs` per resource of `peer`. */
export async function remoteSources(
  peer: RemotePeer,
  selection: { resources: string[]; fromNs: bigint; toNs: bigint },
): Promise<ExportSource[]> {
  const { node, target } = peer;
  const rows = await peer.request(() =>
    peer.resources?.() ?? requestResources(node, target)
  );
  const sources: ExportSource[] = [];
  for (const resourceId of selection.resources) {
    const row = rows.find((r) => r.resource_id === resourceId);
    if (row === undefined) {
      throw new ExportInputError(
        `unknown resource "${resourceId}" (the peer serves ${
          rows.map((r) => r.resource_id).join(", ")
        })`,
      );
    }
    const registry: RegistryAttachment[] = [];
    const fetch = async (kind: "sensor" | "frame", value: unknown) => {
      const ref = RegistryRef.safeParse(value);
      if (!ref.success) return undefined;
      const fetched = await requestRegistryEntry(
        node,
        target,
        kind,
        ref.data.id,
        ref.data.hash,
        peer.sendRegistries?.bind(peer),
      );
      if (fetched === null) return undefined;
      registry.push({
        kind,
        peerId: ref.data.peer_id,
        id: ref.data.id,
        hash: ref.data.hash,
        canonicalJson: fetched.canonicalJson,
      });
      return fetched.entry;
    };
    const sensor = row.sensor &&
      SensorEntry.safeParse(
        await fetch("sensor", {
          peer_id: row.source_peer_id,
          id: row.sensor.sensor_id,
          hash: row.sensor.sensor_hash,
        }),
      );
    for (const key of ["frame", "from_frame", "to_frame"]) {
      await fetch("frame", row.manifest[key]);
    }
    const subscription = await peer.subscribe(resourceId, {
      kind: "timestamp",
      timestampNs: selection.fromNs,
    });
    const { manifest } = subscription;
    sources.push({
      channel: {
        resourceId,
        payload: manifest.payload,
        sensor: sensor?.success ? sensor.data : undefined,
        frameId: manifest.frameId || undefined,
        frames: manifest.fromFrameId && manifest.toFrameId
          ? { parent: manifest.fromFrameId, child: manifest.toFrameId }
          : undefined,
      },
      metadata: {
        resource_id: resourceId,
        variant: row.variant,
        payload: manifest.payload,
        source_peer_id: row.source_peer_id,
        writer_peer_id: row.writer_peer_id,
        clock_id: manifest.clockId,
      },
      manifest: rowManifest(row),
      registry,
      entries: () => until(subscription, selection.toNs),
    });
  }
  return sources;
}

function rowManifest(row: ResourceEntry): Record<string, unknown> {
  return { variant: row.variant, ...row.manifest };
}

/** The subscription's entries up to `toNs`, then it is closed. */
async function* until(
  subscription: Subscription,
  toNs: bigint,
): AsyncGenerator<SnapshotEntry> {
  let idle: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => subscription.close(), REMOTE_IDLE_MS);
  };
  arm();
  try {
    for await (const entry of subscription.entries()) {
      if (entry.timestampNs > toNs) return;
      arm();
      yield { timestampNs: entry.timestampNs, payload: entry.payload };
    }
  } finally {
    clearTimeout(idle);
    subscription.close();
  }
}
