/**
 * Framed wire vectors from the spec that are not vector files: the stream
 * envelope table (wire.md 7.5), the join request frame (wire.md 9.1), the
 * info bodies (wire.md 4.1), the registries 0.2.0 request frame (wire.md 6.4)
 * and the negative int64 quirk (datatypes.md 7.5).
 */
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  encodeFrame,
  FRAME_CAPS,
  type FrameLimits,
} from "../../core/codec/framing.ts";
import { jsonBytes, parseJsonBytes } from "../../core/codec/json.ts";
import {
  InfoRequestSchema,
  InfoResponseSchema,
} from "../../core/proto/gen/auki/info_pb.ts";
import { JoinRequestSchema } from "../../core/proto/gen/auki/join_pb.ts";
import { TimeTransformEntrySchema } from "../../core/proto/gen/auki/time_transform_pb.ts";
import type { StreamMessage } from "../../core/proto/gen/auki/stream_pb.ts";
import {
  decodeStreamMessage,
  encodeStreamMessage,
  readFromOfRequest,
  requestReadFrom,
  STREAM_LIMITS,
} from "../../agent/protocols/stream_messages.ts";
import { INFO_LIMITS } from "../../agent/protocols/info.ts";
import { REGISTRIES_LIMITS } from "../../agent/protocols/registries.ts";
import type { ReadFrom } from "../../agent/logs/log.ts";
import { fromHex, toHex } from "../helpers/hex.ts";

/** Splits a frame into its body after checking the 4-byte big-endian length. */
function unframe(frame: Uint8Array): Uint8Array {
  assert.ok(frame.byteLength >= 4, "frame shorter than its header");
  const length = new DataView(frame.buffer, frame.byteOffset).getUint32(
    0,
    false,
  );
  assert.equal(length, frame.byteLength - 4, "frame header length");
  return frame.subarray(4);
}

/** Frames `body` and compares with the locked hex; returns the body parsed back out of the locked frame. */
function assertFrame(
  body: Uint8Array,
  limits: FrameLimits,
  expectedHex: string,
): Uint8Array {
  assert.equal(toHex(encodeFrame(body, limits)), expectedHex, "frame bytes");
  return unframe(fromHex(expectedHex));
}

// ---------------------------------------------------------------------------
// wire.md 7.5: /auki/stream/0.2.0 envelope frames.

const STREAM_LIMITS_SPEC: FrameLimits = { maxBytes: FRAME_CAPS.stream };

Deno.test("wire 7.5: stream limits are the 16 MiB stream cap", () => {
  assert.equal(FRAME_CAPS.stream, 16 * 1024 * 1024);
  assert.equal(STREAM_LIMITS.maxBytes, STREAM_LIMITS_SPEC.maxBytes);
  assert.ok(!("allowEmpty" in STREAM_LIMITS) || !STREAM_LIMITS.allowEmpty);
});

type RequestVector = { name: string; from: ReadFrom; hex: string };
const REQUEST_VECTORS: RequestVector[] = [
  {
    name: "from_timestamp 1733836800000000000",
    from: { kind: "timestamp", timestampNs: 1733836800000000000n },
    hex:
      "000000250a23120d686561645f6c6566745f7267621a0667616c626f74320a0880808094a2ecf48718",
  },
  {
    name: "latest",
    from: { kind: "latest" },
    hex: "0000001b0a19120d686561645f6c6566745f7267621a0667616c626f742200",
  },
  {
    name: "from_start",
    from: { kind: "start" },
    hex: "0000001b0a19120d686561645f6c6566745f7267621a0667616c626f742a00",
  },
];

for (const v of REQUEST_VECTORS) {
  Deno.test(`wire 7.5: stream request ${v.name}`, () => {
    const body = encodeStreamMessage({
      variant: {
        case: "request",
        value: {
          resourceId: "head_left_rgb",
          sourcePeerId: "galbot",
          readFrom: requestReadFrom(v.from),
        },
      },
    });
    const locked = assertFrame(body, STREAM_LIMITS_SPEC, v.hex);

    const decoded = decodeStreamMessage(locked);
    assert.equal(decoded.variant.case, "request");
    const request = decoded.variant.value;
    assert.equal(request.sensorId, "");
    assert.equal(request.resourceId, "head_left_rgb");
    assert.equal(request.sourcePeerId, "galbot");
    assert.deepEqual(readFromOfRequest(request.readFrom), v.from);
  });
}

Deno.test("wire 7.5: stream request without read_from reads from latest", () => {
  const body = encodeStreamMessage({
    variant: {
      case: "request",
      value: { resourceId: "head_left_rgb", sourcePeerId: "galbot" },
    },
  });
  const decoded = decodeStreamMessage(body);
  assert.equal(decoded.variant.case, "request");
  assert.equal(decoded.variant.value.readFrom.case, undefined);
  assert.deepEqual(readFromOfRequest(decoded.variant.value.readFrom), {
    kind: "latest",
  });
});

interface EnvelopeVector {
  name: string;
  message: Parameters<typeof encodeStreamMessage>[0];
  hex: string;
  verify(decoded: StreamMessage): void;
}

const ENVELOPE_VECTORS: EnvelopeVector[] = [
  {
    name: "accept with an empty manifest",
    message: { variant: { case: "accept", value: {} } },
    hex: "000000021200",
    verify(d) {
      assert.equal(d.variant.case, "accept");
      assert.equal(d.variant.value.resourceId, "");
      assert.equal(d.variant.value.expectedRateHz, 0);
    },
  },
  {
    name: "entry {timestamp_ns:1, seq:0, payload:010203}",
    message: {
      variant: {
        case: "entry",
        value: { timestampNs: 1n, seq: 0n, payload: fromHex("010203") },
      },
    },
    hex: "00000009220708011a03010203",
    verify(d) {
      assert.equal(d.variant.case, "entry");
      assert.equal(d.variant.value.timestampNs, 1n);
      assert.equal(d.variant.value.seq, 0n);
      assert.equal(toHex(d.variant.value.payload), "010203");
    },
  },
  {
    name: "end_of_stream source_ended",
    message: {
      variant: {
        case: "endOfStream",
        value: { kind: { case: "sourceEnded", value: {} } },
      },
    },
    hex: "000000042a020a00",
    verify(d) {
      assert.equal(d.variant.case, "endOfStream");
      assert.equal(d.variant.value.kind.case, "sourceEnded");
    },
  },
  {
    name: "decline sensor_not_found",
    message: {
      variant: {
        case: "decline",
        value: { kind: { case: "sensorNotFound", value: {} } },
      },
    },
    hex: "000000041a020a00",
    verify(d) {
      assert.equal(d.variant.case, "decline");
      assert.equal(d.variant.value.kind.case, "sensorNotFound");
    },
  },
];

for (const v of ENVELOPE_VECTORS) {
  Deno.test(`wire 7.5: stream ${v.name}`, () => {
    const locked = assertFrame(
      encodeStreamMessage(v.message),
      STREAM_LIMITS_SPEC,
      v.hex,
    );
    const decoded = decodeStreamMessage(locked);
    v.verify(decoded);
    assert.equal(
      toHex(encodeStreamMessage(decoded)),
      toHex(locked),
      "re-encoded body",
    );
  });
}

// ---------------------------------------------------------------------------
// wire.md 9.1: /auki/join/0.0.1 protobuf request.

const JOIN_LIMITS: FrameLimits = {
  maxBytes: FRAME_CAPS.join,
  allowEmpty: true,
};

Deno.test("wire 9.1: join request frame for one multiaddr", () => {
  const multiaddrs = ["/ip4/192.168.1.10/tcp/4001"];
  const body = toBinary(
    JoinRequestSchema,
    create(JoinRequestSchema, { multiaddrs }),
  );
  const locked = assertFrame(
    body,
    JOIN_LIMITS,
    "0000001c0a1a2f6970342f3139322e3136382e312e31302f7463702f34303031",
  );
  const decoded = fromBinary(JoinRequestSchema, locked);
  assert.deepEqual(decoded.multiaddrs, multiaddrs);
  assert.equal(decoded.authorization, "");
});

Deno.test("wire 9.1: a zero-length join frame is an empty JoinRequest", () => {
  const body = toBinary(JoinRequestSchema, create(JoinRequestSchema));
  const locked = assertFrame(body, JOIN_LIMITS, "00000000");
  const decoded = fromBinary(JoinRequestSchema, locked);
  assert.deepEqual(decoded.multiaddrs, []);
  assert.equal(decoded.authorization, "");
});

// ---------------------------------------------------------------------------
// wire.md 4.1: /auki/info/0.0.1 bodies.

Deno.test('wire 4.1: InfoResponse "abc" encodes as 0a03616263', () => {
  const body = toBinary(
    InfoResponseSchema,
    create(InfoResponseSchema, { participantInfoJson: "abc" }),
  );
  assert.equal(toHex(body), "0a03616263");
  assert.equal(
    fromBinary(InfoResponseSchema, fromHex("0a03616263")).participantInfoJson,
    "abc",
  );
  assert.equal(toHex(encodeFrame(body, INFO_LIMITS)), "000000050a03616263");
});

Deno.test("wire 4.1: protobuf InfoRequest frame is 00000000, JSON request frame is 000000027b7d", () => {
  assert.equal(INFO_LIMITS.maxBytes, FRAME_CAPS.info);
  const protobuf = toBinary(InfoRequestSchema, create(InfoRequestSchema));
  assert.equal(toHex(encodeFrame(protobuf, INFO_LIMITS)), "00000000");
  assert.equal(toHex(encodeFrame(jsonBytes({}), INFO_LIMITS)), "000000027b7d");
});

// ---------------------------------------------------------------------------
// wire.md 6.4: /auki/registries/0.2.0 request frame (fields in that order).

Deno.test("wire 6.4: registries 0.2.0 get request frame", () => {
  const body = jsonBytes({ kind: "frame", id: "frame", hash: "hash" });
  const expectedBody = '{"kind":"frame","id":"frame","hash":"hash"}';
  const frame = encodeFrame(body, REGISTRIES_LIMITS);
  assert.equal(
    toHex(frame),
    "0000002b" + toHex(new TextEncoder().encode(expectedBody)),
  );
  assert.equal(frame.byteLength, 4 + 43);
  assert.deepEqual(parseJsonBytes(unframe(frame)), {
    kind: "frame",
    id: "frame",
    hash: "hash",
  });
});

// ---------------------------------------------------------------------------
// datatypes.md 7.5: int64 is a plain varint, negatives take 10 bytes.

Deno.test("datatypes 7.5: negative offset_ns is a 10-byte plain varint", () => {
  const expectedHex = "0880c3fcebffffffffff01";
  const body = toBinary(
    TimeTransformEntrySchema,
    create(TimeTransformEntrySchema, { offsetNs: -42_000_000n }),
  );
  assert.equal(toHex(body), expectedHex);
  assert.equal(
    fromBinary(TimeTransformEntrySchema, fromHex(expectedHex)).offsetNs,
    -42_000_000n,
  );
});
