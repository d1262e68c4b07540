/**
 * Wire types checked against the schema: a from_timestamp sent as a string,
 * as an empty string or as fixed64 is a mismatch; well-formed requests and
 * unknown fields pass.
 *
 * @module
 */
import assert from "node:assert/strict";
import { wireTypeMismatch } from "../../../core/codec/wire_types.ts";
import { encodeStreamMessage } from "../../../agent/protocols/stream_messages.ts";
import { StreamMessageSchema } from "../../../core/proto/gen/auki/stream_pb.ts";

/** A StreamMessage request for "a" whose from_timestamp body is `inner`. */
function requestWithFrom(inner: number[]): Uint8Array {
  const request = [0x12, 1, 0x61, 0x32, inner.length, ...inner];
  return new Uint8Array([0x0a, request.length, ...request]);
}

Deno.test("wireTypeMismatch: a well-formed request passes", () => {
  const body = encodeStreamMessage({
    variant: {
      case: "request",
      value: {
        resourceId: "cam",
        readFrom: {
          case: "fromTimestamp",
          value: { timestampNs: 1733836800000000000n },
        },
      },
    },
  });
  assert.equal(wireTypeMismatch(StreamMessageSchema, body), undefined);
});

Deno.test("wireTypeMismatch: a timestamp that is not a varint is named", () => {
  for (
    const [inner, wire] of [
      [[0x0a, 0], 2],
      [[0x0a, 3, 0x61, 0x62, 0x63], 2],
      [[0x09, 1, 2, 3, 4, 5, 6, 7, 8], 1],
    ] as const
  ) {
    assert.match(
      wireTypeMismatch(StreamMessageSchema, requestWithFrom([...inner]))!,
      new RegExp(`\\.timestamp_ns: wire type ${wire}, expected 0$`),
    );
  }
});

Deno.test("wireTypeMismatch: unknown fields are skipped", () => {
  // Field 15 (unknown) as a string inside the request.
  const request = [0x12, 1, 0x61, 0x7a, 2, 0x68, 0x69];
  const body = new Uint8Array([0x0a, request.length, ...request]);
  assert.equal(wireTypeMismatch(StreamMessageSchema, body), undefined);
});
