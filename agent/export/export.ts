/**
 * Writing resources into a signed MCAP export: one channel per resource
 * (its Foxglove schema, or raw payloads of an unknown kind), its messages
 * merged across resources in timestamp order with `log_time` = the entry
 * timestamp, each resource's manifest as a metadata record and the
 * registry entries that describe it as attachments.
 *
 * @module
 */
import { canonicalJson } from "../../core/codec/json.ts";
import {
  channelFor,
  type ChannelSource,
  topicOf,
} from "../foxglove/channels.ts";
import type { SnapshotEntry } from "./log_snapshot.ts";
import type { ExportChannelSpec, SignedMcapWriter } from "./signed_writer.ts";

/** Name of the metadata record describing one resource. */
const RESOURCE_METADATA = "auki_edge.resource";

/** A registry entry the export carries as an attachment. */
export interface RegistryAttachment {
  /** Registry kind (`sensor`, `frame`, `clock`). */
  kind: string;
  /** The owning peer. */
  peerId: string;
  /** Entry id. */
  id: string;
  /** Entry hash. */
  hash: string;
  /** The canonical JSON that hashes to `hash`. */
  canonicalJson: string;
}

/** One resource to export: what describes it and its entries. */
export interface ExportSource {
  /** How its entries become messages. */
  channel: ChannelSource;
  /** The channel's metadata (names `resource_id` and the resource's peers and clock). */
  metadata: Record<string, string>;
  /** The log or catalog manifest of the resource. */
  manifest: Record<string, unknown>;
  /** Registry entries the resource refers to. */
  registry: RegistryAttachment[];
  /** The entries to export, in timestamp order. */
  entries(): AsyncIterable<SnapshotEntry>;
}

/** What an export wrote. */
export interface ExportResult {
  /** Channels written. */
  channels: number;
  /** Messages written. */
  messages: number;
  /** Payload bytes read. */
  bytes: number;
}

/** The channel of a source: its Foxglove channel or a raw one. */
function exportChannel(source: ChannelSource): ExportChannelSpec {
  return channelFor(source) ?? {
    topic: topicOf(source.resourceId),
    raw: `auki_edge/${source.payload}`,
  };
}

/**
 * Writes `sources` through `writer`; `progress` is told the payload bytes
 * read after each message.
 */
export async function writeExport(
  writer: SignedMcapWriter,
  sources: ExportSource[],
  progress: (bytes: number) => void = () => {},
): Promise<ExportResult> {
  const attached = new Set<string>();
  const heads: {
    id: number;
    encode: (payload: Uint8Array, ns: bigint) => Uint8Array;
    entries: AsyncIterator<SnapshotEntry>;
    next: SnapshotEntry | undefined;
  }[] = [];
  for (const source of sources) {
    const spec = exportChannel(source.channel);
    const id = await writer.addChannel(spec, source.metadata);
    await writer.addMetadata(RESOURCE_METADATA, {
      resource_id: source.channel.resourceId,
      channel_id: String(id),
      manifest: canonicalJson(source.manifest),
    });
    for (const entry of source.registry) {
      const name =
        `registry/${entry.kind}/${entry.peerId}/${entry.id}/${entry.hash}.json`;
      if (attached.has(name)) continue;
      attached.add(name);
      await writer.addAttachment(
        name,
        "application/json",
        new TextEncoder().encode(entry.canonicalJson),
      );
    }
    const entries = source.entries()[Symbol.asyncIterator]();
    const first = await entries.next();
    heads.push({
      id,
      encode: "raw" in spec ? (payload) => payload : spec.encode,
      entries,
      next: first.done ? undefined : first.value,
    });
  }
  let bytes = 0;
  for (;;) {
    let oldest: typeof heads[number] | undefined;
    for (const head of heads) {
      if (
        head.next !== undefined &&
        (oldest === undefined ||
          head.next.timestampNs < oldest.next!.timestampNs)
      ) oldest = head;
    }
    if (oldest === undefined) break;
    const entry = oldest.next!;
    await writer.addMessage(
      oldest.id,
      entry.timestampNs,
      oldest.encode(entry.payload, entry.timestampNs),
    );
    bytes += entry.payload.byteLength;
    progress(bytes);
    const next = await oldest.entries.next();
    oldest.next = next.done ? undefined : next.value;
  }
  return { channels: sources.length, messages: writer.messages, bytes };
}
