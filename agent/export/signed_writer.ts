/**
 * An indexed MCAP file written with `@mcap/core` and signed on completion
 * (scheme in `signature.ts`): channels, messages, metadata and attachments
 * are digested as they are written, and the signature record closes the
 * data section. The file is written as `<path>.partial` and renamed into
 * place once signed, so a failed export leaves no file that looks whole.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { PrivateKey } from "@libp2p/interface";
import { type IWritable, McapWriter } from "@mcap/core";
import { canonicalJson } from "../../core/codec/json.ts";
import type { ChannelSpec } from "../foxglove/channels.ts";
import { ExportDigest, SIGNATURE_METADATA } from "./signature.ts";

/** The MCAP header profile of exports (none of the well-known ones apply). */
const EXPORT_PROFILE = "";
/** The MCAP header library of exports. */
const EXPORT_LIBRARY = "auki-edge";
/** Messages per chunk are gathered up to this many bytes. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/** What a channel carries: a Foxglove channel, or raw payloads of an unknown kind. */
export type ExportChannelSpec =
  | ChannelSpec
  | { topic: string; raw: string };

/** An {@link IWritable} over a file, writing in large blocks. */
class FileWritable implements IWritable {
  readonly #file: Deno.FsFile;
  #position = 0n;
  #buffer = new Uint8Array(WRITE_BUFFER_BYTES);
  #filled = 0;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  position(): bigint {
    return this.#position;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.#position += BigInt(bytes.byteLength);
    if (this.#filled + bytes.byteLength > this.#buffer.byteLength) {
      await this.flush();
    }
    if (bytes.byteLength >= this.#buffer.byteLength) {
      await writeAll(this.#file, bytes);
      return;
    }
    this.#buffer.set(bytes, this.#filled);
    this.#filled += bytes.byteLength;
  }

  async flush(): Promise<void> {
    await writeAll(this.#file, this.#buffer.subarray(0, this.#filled));
    this.#filled = 0;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let n = 0; n < bytes.byteLength;) {
    n += await file.write(bytes.subarray(n));
  }
}

/** An export being written. */
export class SignedMcapWriter {
  /** The final path. */
  readonly path: string;
  readonly #partial: string;
  readonly #file: Deno.FsFile;
  readonly #writable: FileWritable;
  readonly #writer: McapWriter;
  readonly #digest = new ExportDigest();
  readonly #sequences = new Map<number, number>();
  readonly #schemas = new Map<string, number>();
  #messages = 0;

  private constructor(path: string, partial: string, file: Deno.FsFile) {
    this.path = path;
    this.#partial = partial;
    this.#file = file;
    this.#writable = new FileWritable(file);
    this.#writer = new McapWriter({
      writable: this.#writable,
      chunkSize: CHUNK_BYTES,
    });
  }

  /**
   * Creates `<path>.partial` and writes the header; throws when the file
   * cannot be created.
   */
  static async create(path: string): Promise<SignedMcapWriter> {
    const partial = `${path}.partial`;
    const file = await Deno.open(partial, {
      write: true,
      create: true,
      truncate: true,
    });
    const writer = new SignedMcapWriter(path, partial, file);
    await writer.#writer.start({
      profile: EXPORT_PROFILE,
      library: EXPORT_LIBRARY,
    });
    return writer;
  }

  /** Messages written so far. */
  get messages(): number {
    return this.#messages;
  }

  /** Registers a channel with its metadata; returns its id. */
  async addChannel(
    spec: ExportChannelSpec,
    metadata: Record<string, string>,
  ): Promise<number> {
    let schemaId = 0;
    if (!("raw" in spec)) {
      const key = `${spec.schemaName}\u0000${spec.schemaEncoding}\u0000${
        Buffer.from(spec.schema).toString("base64")
      }`;
      const known = this.#schemas.get(key);
      if (known !== undefined) schemaId = known;
      else {
        const schema = {
          name: spec.schemaName,
          encoding: spec.schemaEncoding,
          data: spec.schema,
        };
        schemaId = await this.#writer.registerSchema(schema);
        this.#digest.schema({ id: schemaId, ...schema });
        this.#schemas.set(key, schemaId);
      }
    }
    const channel = {
      schemaId,
      topic: spec.topic,
      messageEncoding: "raw" in spec ? spec.raw : spec.messageEncoding,
      metadata: new Map(Object.entries(metadata)),
    };
    const id = await this.#writer.registerChannel(channel);
    this.#digest.channel({ id, ...channel });
    return id;
  }

  /** Writes a message of channel `channelId` logged at `logTimeNs`. */
  async addMessage(
    channelId: number,
    logTimeNs: bigint,
    data: Uint8Array,
  ): Promise<void> {
    const sequence = this.#sequences.get(channelId) ?? 0;
    this.#sequences.set(channelId, sequence + 1);
    const message = {
      channelId,
      sequence,
      logTime: logTimeNs,
      publishTime: logTimeNs,
      data,
    };
    await this.#writer.addMessage(message);
    this.#digest.message(message);
    this.#messages++;
  }

  /** Writes a metadata record. */
  async addMetadata(
    name: string,
    metadata: Record<string, string>,
  ): Promise<void> {
    const record = { name, metadata: new Map(Object.entries(metadata)) };
    await this.#writer.addMetadata(record);
    this.#digest.metadata(record);
  }

  /** Writes an attachment. */
  async addAttachment(
    name: string,
    mediaType: string,
    data: Uint8Array,
  ): Promise<void> {
    const record = { name, mediaType, data, logTime: 0n, createTime: 0n };
    await this.#writer.addAttachment(record);
    this.#digest.attachment(record);
  }

  /**
   * Signs everything written with `key` (the statement as the signature
   * record), writes the summary and moves the file into place.
   */
  async finish(key: PrivateKey, peerId: string): Promise<void> {
    const statement = canonicalJson(
      this.#digest.statement(peerId, EXPORT_PROFILE),
    );
    const signature = await key.sign(new TextEncoder().encode(statement));
    await this.#writer.addMetadata({
      name: SIGNATURE_METADATA,
      metadata: new Map([
        ["peer_id", peerId],
        ["statement", statement],
        ["signature", Buffer.from(signature).toString("base64")],
      ]),
    });
    await this.#writer.end();
    await this.#writable.flush();
    await this.#file.sync();
    this.#file.close();
    await Deno.rename(this.#partial, this.path);
  }

  /** Stops writing and removes the partial file. */
  async abort(): Promise<void> {
    try {
      this.#file.close();
    } catch {
      // already closed
    }
    await Deno.remove(this.#partial).catch(() => {});
  }
}
