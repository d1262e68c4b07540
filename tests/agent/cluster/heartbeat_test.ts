/**
 * `/auki/heartbeat/0.0.1` (spec wire.md 9.4, cluster.md 4): frame fields and
 * order, sequence from 1, echo pairing and the NTP offset and delay with
 * fake clocks, malformed frames dropped and logged, old-build frames with
 * only `sent_at_unix_ns`, and the link's end. The stream is an in-memory
 * fake so every clock reading is the test's.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../../core/codec/framing.ts";
import { parseJsonBytes, stringifyJson } from "../../../core/codec/json.ts";
import {
  declareDomainClock,
  type DomainClock,
} from "../../../agent/cluster/domain_clock.ts";
import {
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_LIMITS,
  HEARTBEAT_TIMEOUT_MS,
  type HeartbeatFrame,
  HeartbeatLink,
  type OffsetSample,
} from "../../../agent/cluster/heartbeat.ts";
import { FakeStream } from "./_nodes.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { until } from "../../helpers/wait.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const PEER = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
const CLOCK_ID = `${PEER}/01JH6Z8Q7XK4W5V3T2S1R0P9NM/monotonic`;
const CLOCK_HASH = "0123456789abcdef0123456789abcdef";
const UTC = 1_733_836_800_000_000_000n;

interface Harness {
  stream: FakeStream;
  link: HeartbeatLink;
  frames: HeartbeatFrame[];
  samples: OffsetSample[];
  closes: string[];
  logger: MemoryLogger;
  /** Sets our session clock reading. */
  at(ns: bigint): void;
  /** The frames we wrote, decoded, and their text. */
  written(): { text: string; frame: Record<string, unknown> }[];
  /** Delivers a frame from the peer. */
  receive(body: unknown): void;
}

function harness(domainClock?: () => DomainClock | undefined): Harness {
  const stream = new FakeStream();
  const frames: HeartbeatFrame[] = [];
  const samples: OffsetSample[] = [];
  const closes: string[] = [];
  const logger = new MemoryLogger();
  let now = 1_000n;
  const link = new HeartbeatLink(stream.stream, {
    clock: { id: CLOCK_ID, hash: CLOCK_HASH, now: () => now },
    utcNow: () => UTC + now,
    domainClock: domainClock ?? (() => undefined),
    onFrame: (f) => frames.push(f),
    onSample: (s) => samples.push(s),
    onClose: (r) => closes.push(r),
    logger,
    peer: PEER,
  });
  return {
    stream,
    link,
    frames,
    samples,
    closes,
    logger,
    at: (ns) => now = ns,
    written: () =>
      stream.sent.map((bytes) => {
        const length = new DataView(bytes.buffer, bytes.byteOffset)
          .getUint32(0);
        assert.equal(length, bytes.length - 4, "one whole frame per send");
        const body = bytes.subarray(4);
        return {
          text: decoder.decode(body),
          frame: parseJsonBytes(body) as Record<string, unknown>,
        };
      }),
    receive: (body) =>
      stream.push(
        encodeFrame(
          typeof body === "string"
            ? encoder.encode(body)
            : encoder.encode(stringifyJson(body)),
          { maxBytes: 1 << 20, allowEmpty: true },
        ),
      ),
  };
}

/** Waits for our next write (every 500 ms). */
async function nextWrite(h: Harness): Promise<void> {
  const count = h.stream.sent.length;
  await until(
    () => h.stream.sent.length > count,
    "the next heartbeat",
    HEARTBEAT_INTERVAL_MS * 6,
  );
}

Deno.test("heartbeat: timing constants are the SDK's", () => {
  assert.equal(HEARTBEAT_INTERVAL_MS, 500);
  assert.equal(HEARTBEAT_TIMEOUT_MS, 1_500);
  assert.equal(HEARTBEAT_LIMITS.maxBytes, 1024);
});

Deno.test("heartbeat: the first frame, field by field in order, sequence 1", () => {
  const h = harness();
  try {
    h.link.start();
    const [first] = h.written();
    assert.equal(
      first.text,
      `{"sent_at_unix_ns":1733836800000001000,"clock_id":"${CLOCK_ID}",` +
        `"clock_hash":"${CLOCK_HASH}","sequence":1,"sent_at_clock_ns":1000}`,
    );
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: the Manager's frames carry domain_clock, last, in order", () => {
  const declared = declareDomainClock("lab", {
    peerId: PEER,
    clockId: CLOCK_ID,
    clockHash: CLOCK_HASH,
  }, -12_345_678_901_234_567n);
  const h = harness(() => declared);
  try {
    h.link.start();
    const [first] = h.written();
    assert.deepEqual(Object.keys(first.frame), [
      "sent_at_unix_ns",
      "clock_id",
      "clock_hash",
      "sequence",
      "sent_at_clock_ns",
      "domain_clock",
    ]);
    assert.match(
      first.text,
      new RegExp(
        `"domain_clock":\\{"cluster_name":"lab","domain_clock_id":"lab/domain-clock",` +
          `"domain_clock_hash":"[0-9a-f]{32}","backing_peer_id":"${PEER}",` +
          `"backing_clock_id":"${CLOCK_ID}","backing_clock_hash":"${CLOCK_HASH}",` +
          `"backing_to_domain_offset_ns":-12345678901234567\\}\\}$`,
      ),
    );
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: the largest frame auki-edge writes fits the 1 KiB cap", async () => {
  const name = "n".repeat(64);
  const declared = declareDomainClock(name, {
    peerId: PEER,
    clockId: CLOCK_ID,
    clockHash: CLOCK_HASH,
  }, -(2n ** 63n));
  const h = harness(() => declared);
  try {
    h.at(2n ** 62n);
    h.link.start();
    h.receive({ sent_at_unix_ns: 1, sequence: 2n ** 63n - 1n });
    await until(() => h.frames.length === 1, "the frame");
    await nextWrite(h);
    const last = h.written()[1];
    assert.ok(last.frame.echo, "the frame echoes");
    assert.ok(last.frame.domain_clock, "the frame declares the domain clock");
    assert.ok(last.text.length < 1024, `${last.text.length} bytes`);
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: sequence counts up from 1, one frame every 500 ms", async () => {
  const h = harness();
  try {
    const started = performance.now();
    h.link.start();
    h.at(2_000n);
    await nextWrite(h);
    h.at(3_000n);
    await nextWrite(h);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 2 * HEARTBEAT_INTERVAL_MS - 20, `${elapsed} ms`);
    const written = h.written().map((w) => w.frame);
    assert.deepEqual(written.map((f) => f.sequence), [1, 2, 3]);
    assert.deepEqual(
      written.map((f) => f.sent_at_clock_ns),
      [1_000, 2_000, 3_000],
    );
    assert.ok(written.every((f) => f.echo === undefined), "nothing to echo");
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: an echo of our frame gives the NTP offset and delay", async () => {
  const h = harness();
  try {
    h.at(1_000n); // t1: we send sequence 1
    h.link.start();
    // The peer's clock is 5 000 000 ns ahead; 30 ns out, it holds our frame
    // 50 ns, 120 ns back.
    const t2 = 5_001_030n;
    const t3 = 5_001_080n;
    h.at(1_200n); // t4
    h.receive({
      sent_at_unix_ns: 1,
      clock_id: "peer/clock",
      clock_hash: "h",
      sequence: 7,
      sent_at_clock_ns: t3,
      echo: { sequence: 1, received_at_clock_ns: t2 },
    });
    await until(() => h.samples.length === 1, "a sample");
    const t1 = 1_000n, t4 = 1_200n;
    assert.deepEqual(h.samples[0], {
      offsetNs: ((t2 - t1) + (t3 - t4)) / 2n,
      delayNs: (t4 - t1) - (t3 - t2),
      atNs: t4,
    });
    assert.equal(h.samples[0].offsetNs, 4_999_955n);
    assert.equal(h.samples[0].delayNs, 150n);
    assert.equal(h.frames.length, 1);
    assert.equal(h.frames[0].sequence, 7n);
    // Our next frame echoes the peer's sequence 7 at our t4.
    h.at(1_500n);
    await nextWrite(h);
    assert.deepEqual(h.written()[1].frame.echo, {
      sequence: 7,
      received_at_clock_ns: 1_200,
    });
    assert.deepEqual(Object.keys(h.written()[1].frame), [
      "sent_at_unix_ns",
      "clock_id",
      "clock_hash",
      "sequence",
      "sent_at_clock_ns",
      "echo",
    ]);
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: the echo pairs with the frame it names, not the latest", async () => {
  const h = harness();
  try {
    h.at(10_000n);
    h.link.start(); // sequence 1 at 10 000
    h.at(20_000n);
    await nextWrite(h); // sequence 2 at 20 000
    h.at(20_400n);
    h.receive({
      sent_at_unix_ns: 1,
      sequence: 3,
      sent_at_clock_ns: 1_010_300n,
      echo: { sequence: 1, received_at_clock_ns: 1_010_100n },
    });
    await until(() => h.samples.length === 1, "a sample");
    // t1 = 10 000 (sequence 1), t2 = 1 010 100, t3 = 1 010 300, t4 = 20 400
    assert.equal(h.samples[0].delayNs, 10_400n - 200n);
    assert.equal(
      h.samples[0].offsetNs,
      ((1_010_100n - 10_000n) + (1_010_300n - 20_400n)) / 2n,
    );
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: echoes of unknown sequences or impossible times give no sample", async () => {
  const h = harness();
  try {
    h.at(1_000n);
    h.link.start();
    h.at(2_000n);
    h.receive({
      sent_at_unix_ns: 1,
      sequence: 1,
      sent_at_clock_ns: 5,
      echo: { sequence: 99, received_at_clock_ns: 3 },
    });
    // The peer claims to have held our frame longer than the round trip.
    h.receive({
      sent_at_unix_ns: 1,
      sequence: 2,
      sent_at_clock_ns: 10_000,
      echo: { sequence: 1, received_at_clock_ns: 1 },
    });
    // An echo without the peer's send time cannot be paired.
    h.receive({
      sent_at_unix_ns: 1,
      sequence: 3,
      echo: { sequence: 1, received_at_clock_ns: 1 },
    });
    await until(() => h.frames.length === 3, "three frames");
    assert.equal(h.samples.length, 0);
    assert.equal(h.closes.length, 0);
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: malformed frames are dropped and logged, the link lives on", async () => {
  const h = harness();
  try {
    h.link.start();
    const bad = [
      "{nope",
      "[]",
      "null",
      `{"sequence":1}`,
      `{"sent_at_unix_ns":"1"}`,
      `{"sent_at_unix_ns":1.5}`,
      `{"sent_at_unix_ns":1,"sequence":"x"}`,
      `{"sent_at_unix_ns":1,"echo":{"sequence":1}}`,
      `{"sent_at_unix_ns":1,"domain_clock":{"cluster_name":"lab"}}`,
      `{"sent_at_unix_ns":9223372036854775808}`,
    ];
    for (const text of bad) h.receive(text);
    h.stream.push(
      encodeFrame(Uint8Array.of(0x7b, 0xff, 0x7d), { maxBytes: 1024 }),
    );
    h.receive({ sent_at_unix_ns: 5, sequence: 1, sent_at_clock_ns: 9 });
    await until(() => h.frames.length === 1, "the valid frame");
    // One line per 10 s per link (a peer can send junk at any rate), with
    // the first reason.
    const warnings = h.logger.lines.filter((l) =>
      /^WARN .*malformed heartbeat/.test(l)
    );
    assert.equal(warnings.length, 1, h.logger.lines.join("\n"));
    assert.match(
      warnings[0],
      new RegExp(
        `^WARN dropped a malformed heartbeat frame from ${PEER}: .*JSON`,
      ),
    );
    assert.equal(h.frames[0].sent_at_unix_ns, 5n);
    assert.equal(h.closes.length, 0, "malformed frames do not end the link");
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: frames from older builds, only sent_at_unix_ns, are accepted", async () => {
  const h = harness();
  try {
    h.link.start();
    h.receive(`{"sent_at_unix_ns":1733836800123456789}`);
    await until(() => h.frames.length === 1, "the frame");
    assert.deepEqual(h.frames[0], {
      sent_at_unix_ns: 1_733_836_800_123_456_789n,
    });
    await nextWrite(h);
    assert.equal(h.written()[1].frame.echo, undefined, "nothing to echo");
    assert.equal(h.samples.length, 0);
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: the peer's domain clock declaration is read exactly", async () => {
  const h = harness();
  try {
    h.link.start();
    const declared = declareDomainClock("lab", {
      peerId: PEER,
      clockId: CLOCK_ID,
      clockHash: CLOCK_HASH,
    }, 9_007_199_254_740_993n);
    h.receive({ sent_at_unix_ns: 1, sequence: 1, domain_clock: declared });
    await until(() => h.frames.length === 1, "the frame");
    assert.deepEqual(h.frames[0].domain_clock, declared);
  } finally {
    h.link.close("test over");
  }
});

Deno.test("heartbeat: an oversized or empty frame ends the link", async () => {
  for (
    const bytes of [
      Uint8Array.of(0, 0, 4, 1), // 1025 bytes announced
      Uint8Array.of(0, 0, 0, 0),
    ]
  ) {
    const h = harness();
    try {
      h.link.start();
      h.stream.push(bytes);
      await until(() => h.closes.length === 1, "the link to end");
      assert.match(h.closes[0], /heartbeat stream failed/);
      assert.equal(h.stream.status, "aborted");
      const count = h.stream.sent.length;
      await new Promise((r) => setTimeout(r, HEARTBEAT_INTERVAL_MS + 100));
      assert.equal(h.stream.sent.length, count, "no writes after the end");
    } finally {
      h.link.close("test over");
    }
  }
});

Deno.test("heartbeat: the peer closing ends the link once; close is idempotent", async () => {
  const h = harness();
  try {
    h.link.start();
    h.stream.end();
    await until(() => h.closes.length === 1, "the link to end");
    assert.equal(h.closes[0], "the peer closed the heartbeat stream");
    h.link.close("again");
    assert.equal(h.closes.length, 1);
  } finally {
    h.link.close("test over");
  }
  const own = harness();
  own.link.start();
  own.link.close("leaving");
  own.link.close("leaving twice");
  assert.deepEqual(own.closes, ["leaving"]);
  assert.equal(own.stream.status, "aborted");
  assert.equal(own.stream.abortedWith?.message, "leaving");
});
