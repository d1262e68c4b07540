import assert from "node:assert/strict";
import { encodeFrame, FrameError } from "../../../core/codec/framing.ts";
import {
  decodeStreamMessage,
  encodeStreamMessage,
  entryFrameHead,
  readFromOfRequest,
  requestReadFrom,
  snakeCase,
  STREAM_LIMITS,
} from "../../../agent/protocols/stream_messages.ts";

Deno.test("entryFrameHead + payload is byte for byte the generated encoding of the entry frame", () => {
  const cases: [bigint, bigint, number][] = [
    [0n, 0n, 0],
    [1n, 0n, 3],
    [-9n, 300n, 127],
    [1795375838587440198n, 2n ** 64n - 1n, 128],
    [1700000000000000000n, 42n, 6_220_800],
  ];
  for (const [timestampNs, seq, size] of cases) {
    const payload = new Uint8Array(size).map((_, i) => i * 31);
    const expected = encodeFrame(
      encodeStreamMessage({
        variant: { case: "entry", value: { timestampNs, seq, payload } },
      }),
      STREAM_LIMITS,
    );
    const head = entryFrameHead(timestampNs, seq, size);
    const actual = new Uint8Array(head.byteLength + size);
    actual.set(head);
    actual.set(payload, head.byteLength);
    assert.deepEqual(
      actual,
      expected,
      `ts=${timestampNs} seq=${seq} size=${size}`,
    );
  }
});

Deno.test("entryFrameHead refuses an entry over the 16 MiB frame cap", () => {
  assert.throws(
    () => entryFrameHead(1n, 0n, STREAM_LIMITS.maxBytes),
    (e) => e instanceof FrameError && e.reason === "too_large",
  );
});

Deno.test("read positions map both ways; an unset read_from means latest", () => {
  for (
    const from of [
      { kind: "latest" },
      { kind: "start" },
      { kind: "timestamp", timestampNs: 1733836800000000000n },
    ] as const
  ) {
    const body = encodeStreamMessage({
      variant: {
        case: "request",
        value: { resourceId: "r", readFrom: requestReadFrom(from) },
      },
    });
    const message = decodeStreamMessage(body);
    assert.equal(message.variant.case, "request");
    if (message.variant.case === "request") {
      assert.deepEqual(readFromOfRequest(message.variant.value.readFrom), from);
    }
  }
  assert.deepEqual(readFromOfRequest({ case: undefined }), { kind: "latest" });
});

Deno.test("snakeCase spells oneof cases as the proto does", () => {
  assert.equal(snakeCase("sensorNotFound"), "sensor_not_found");
  assert.equal(snakeCase("producerShuttingDown"), "producer_shutting_down");
  assert.equal(snakeCase("other"), "other");
});
