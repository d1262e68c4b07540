/**
 * `auki.stream.StreamMessage` frames of `/auki/stream/0.2.0` (spec wire.md 7).
 *
 * @module
 */
import {
  create,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { FRAME_CAPS, FrameError } from "../../core/codec/framing.ts";
import {
  StreamEntrySchema,
  type StreamMessage,
  StreamMessageSchema,
  type StreamRequestSchema,
} from "../../core/proto/gen/auki/stream_pb.ts";
import type { ReadFrom } from "../logs/log.ts";

/** Frame limits of the stream protocol. */
export const STREAM_LIMITS = { maxBytes: FRAME_CAPS.stream };

const ENTRY_FIELD = StreamEntrySchema.field;

/** Encodes a StreamMessage body. */
export function encodeStreamMessage(
  init: MessageInitShape<typeof StreamMessageSchema>,
): Uint8Array {
  return toBinary(StreamMessageSchema, create(StreamMessageSchema, init));
}

/**
 * Everything of an entry frame before its payload bytes: the 4-byte length,
 * the `entry` envelope and the entry's fields up to the payload's tag and
 * length. Sending it and then the payload itself puts on the wire exactly
 * `encodeFrame(encodeStreamMessage({entry}))` without copying the payload,
 * which matters for multi-megabyte camera frames.
 */
export function entryFrameHead(
  timestampNs: bigint,
  seq: bigint,
  payloadBytes: number,
): Uint8Array {
  // Hot path (once per entry per subscriber): the writer and the generated
  // descriptor's field numbers, without building messages to reflect on.
  const entry = new BinaryWriter();
  if (timestampNs !== 0n) {
    entry.tag(ENTRY_FIELD.timestampNs.number, WireType.Varint).int64(
      timestampNs,
    );
  }
  if (seq !== 0n) {
    entry.tag(ENTRY_FIELD.seq.number, WireType.Varint).uint64(seq);
  }
  if (payloadBytes > 0) {
    entry.tag(ENTRY_FIELD.payload.number, WireType.LengthDelimited).uint32(
      payloadBytes,
    );
  }
  const fields = entry.finish();
  const entryBytes = fields.byteLength + payloadBytes;
  const envelope = new BinaryWriter()
    .tag(StreamMessageSchema.field.entry.number, WireType.LengthDelimited)
    .uint32(entryBytes).finish();
  const bodyBytes = envelope.byteLength + entryBytes;
  if (bodyBytes > STREAM_LIMITS.maxBytes) {
    throw new FrameError(
      "too_large",
      `entry of ${bodyBytes} bytes exceeds the ${STREAM_LIMITS.maxBytes}-byte frame cap`,
    );
  }
  const head = new Uint8Array(4 + envelope.byteLength + fields.byteLength);
  new DataView(head.buffer).setUint32(0, bodyBytes, false);
  head.set(envelope, 4);
  head.set(fields, 4 + envelope.byteLength);
  return head;
}

/** Decodes a StreamMessage body; throws on malformed protobuf. */
export function decodeStreamMessage(body: Uint8Array): StreamMessage {
  return fromBinary(StreamMessageSchema, body);
}

/** The request's `read_from`, as a log read position (unset means latest). */
export function readFromOfRequest(
  readFrom: Extract<StreamMessage["variant"], { case: "request" }>["value"][
    "readFrom"
  ],
): ReadFrom {
  switch (readFrom.case) {
    case "fromStart":
      return { kind: "start" };
    case "fromTimestamp":
      return { kind: "timestamp", timestampNs: readFrom.value.timestampNs };
    default:
      return { kind: "latest" };
  }
}

/** A request's `read_from` oneof, as an init shape. */
export type ReadFromInit = NonNullable<
  MessageInitShape<typeof StreamRequestSchema>["readFrom"]
>;

/** A log read position as a request's `read_from` oneof. */
export function requestReadFrom(from: ReadFrom): ReadFromInit {
  switch (from.kind) {
    case "latest":
      return { case: "latest", value: {} };
    case "start":
      return { case: "fromStart", value: {} };
    case "timestamp":
      return {
        case: "fromTimestamp",
        value: { timestampNs: from.timestampNs },
      };
  }
}

/** A oneof case name as the proto spells it: `sensorNotFound` → `sensor_not_found`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
