/**
 * The signature scheme of exported MCAP files, `auki-edge/mcap-signature/1`.
 *
 * Every record that carries data is digested with SHA-256, in file order:
 * - each channel's messages: per message `u64 log_time | u64 publish_time |
 *   u32 sequence | u32 length | data` (little-endian), chained into one
 *   digest per channel, with the message count;
 * - each channel record: the canonical JSON (RFC 8785) of `{id, topic,
 *   message_encoding, metadata, schema}`, `schema` being `null` or `{name,
 *   encoding, sha256}` of its schema record;
 * - each metadata record but the signature's: canonical JSON `{name, metadata}`;
 * - each attachment: canonical JSON `{name, media_type, log_time, create_time,
 *   sha256}` (times as decimal strings).
 *
 * The statement, the canonical JSON of `{scheme, peer_id, profile, channels:
 * [{id, topic, record, messages, digest}], metadata: [{name, digest}],
 * attachments: [{name, digest}]}` (hex digests, channels by id, the others
 * in file order), is signed with the peer's Ed25519 key and stored in the
 * metadata record `auki_edge.signature` as `statement`, `signature`
 * (base64) and `peer_id`. A verifier recomputes the statement from the file
 * and checks it against the signed one and the signature against the peer
 * id (an Ed25519 peer id holds its public key).
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import type {
  Attachment,
  Channel,
  Message,
  Metadata,
  Schema,
} from "@mcap/core";
import { canonicalJson } from "../../core/codec/json.ts";

/** The scheme name, in the statement. */
export const SIGNATURE_SCHEME = "auki-edge/mcap-signature/1";
/** Name of the metadata record holding the signature. */
export const SIGNATURE_METADATA = "auki_edge.signature";

/** One channel in a statement. */
export interface StatementChannel {
  /** Channel id. */
  id: number;
  /** Its topic (for messages; not signed apart from `record`). */
  topic: string;
  /** Digest of the channel record. */
  record: string;
  /** Number of its messages. */
  messages: number;
  /** Digest of its messages. */
  digest: string;
}

/** What is signed. */
export interface Statement {
  /** {@link SIGNATURE_SCHEME}. */
  scheme: string;
  /** The signing peer. */
  peer_id: string;
  /** The MCAP header's profile. */
  profile: string;
  /** Every channel, by id. */
  channels: StatementChannel[];
  /** Every metadata record but the signature, in file order. */
  metadata: { name: string; digest: string }[];
  /** Every attachment, in file order. */
  attachments: { name: string; digest: string }[];
}

/** Two records of the same channel id differ. */
export class ConflictingRecordError extends Error {
  /** Creates the error for channel `id`. */
  constructor(id: number) {
    super(`channel ${id} has two different channel records`);
    this.name = "ConflictingRecordError";
  }
}

interface ChannelDigest {
  topic: string;
  record: string;
  messages: number;
  hash: Hash;
}

/** Accumulates the digests of a file's records as they are written or read. */
export class ExportDigest {
  readonly #schemas = new Map<
    number,
    { name: string; encoding: string; sha256: string }
  >();
  readonly #channels = new Map<number, ChannelDigest>();
  readonly #metadata: { name: string; digest: string }[] = [];
  readonly #attachments: { name: string; digest: string }[] = [];
  readonly #head = new Uint8Array(24);

  /** Notes a schema record (channels refer to it). */
  schema(record: Schema): void {
    this.#schemas.set(record.id, {
      name: record.name,
      encoding: record.encoding,
      sha256: sha256(record.data),
    });
  }

  /**
   * Notes a channel record; a repeated one (the summary section repeats
   * them) must equal the first ({@link ConflictingRecordError}).
   */
  channel(record: Channel): void {
    const digest = sha256(canonicalJson({
      id: record.id,
      topic: record.topic,
      message_encoding: record.messageEncoding,
      metadata: Object.fromEntries(record.metadata),
      schema: record.schemaId === 0
        ? null
        : this.#schemas.get(record.schemaId) ?? "missing",
    }));
    const known = this.#channels.get(record.id);
    if (known !== undefined) {
      if (known.record !== digest) throw new ConflictingRecordError(record.id);
      return;
    }
    this.#channels.set(record.id, {
      topic: record.topic,
      record: digest,
      messages: 0,
      hash: createHash("sha256"),
    });
  }

  /** Adds a message to its channel's digest; `false` for an unknown channel. */
  message(record: Message): boolean {
    const channel = this.#channels.get(record.channelId);
    if (channel === undefined) return false;
    const view = new DataView(this.#head.buffer);
    view.setBigUint64(0, record.logTime, true);
    view.setBigUint64(8, record.publishTime, true);
    view.setUint32(16, record.sequence, true);
    view.setUint32(20, record.data.byteLength, true);
    channel.hash.update(this.#head);
    channel.hash.update(record.data);
    channel.messages++;
    return true;
  }

  /** Adds a metadata record (not the signature's). */
  metadata(record: Metadata): void {
    this.#metadata.push({
      name: record.name,
      digest: sha256(canonicalJson({
        name: record.name,
        metadata: Object.fromEntries(record.metadata),
      })),
    });
  }

  /** Adds an attachment. */
  attachment(record: Attachment): void {
    this.#attachments.push({
      name: record.name,
      digest: sha256(canonicalJson({
        name: record.name,
        media_type: record.mediaType,
        log_time: record.logTime.toString(),
        create_time: record.createTime.toString(),
        sha256: sha256(record.data),
      })),
    });
  }

  /** The statement of everything noted so far. */
  statement(peerId: string, profile: string): Statement {
    return {
      scheme: SIGNATURE_SCHEME,
      peer_id: peerId,
      profile,
      channels: [...this.#channels.entries()]
        .sort(([a], [b]) => a - b)
        .map(([id, c]) => ({
          id,
          topic: c.topic,
          record: c.record,
          messages: c.messages,
          digest: c.hash.copy().digest("hex"),
        })),
      metadata: [...this.#metadata],
      attachments: [...this.#attachments],
    };
  }
}

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
