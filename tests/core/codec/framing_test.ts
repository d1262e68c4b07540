import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Stream } from "@libp2p/interface";
import {
  encodeFrame,
  FRAME_CAPS,
  FrameError,
  type FrameLimits,
  FrameReader,
  writeFrame,
} from "../../../core/codec/framing.ts";
import { createNode } from "../../../agent/node.ts";
import { delay } from "../../helpers/wait.ts";

const KIB = 1024;
const MIB = 1024 * KIB;
const PROTOCOL = "/auki-edge-test/framing/1.0.0";

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

function prefix(length: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, length, false);
  return out;
}

/**
 * Starts two in-process libp2p nodes, opens a stream from one to the other
 * and hands both ends to `fn`; the nodes are always stopped.
 */
async function withStreams(
  fn: (client: Stream, server: Stream) => Promise<void>,
): Promise<void> {
  const server = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
  });
  const client = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  try {
    await server.start();
    await client.start();
    const inbound = Promise.withResolvers<Stream>();
    await server.handle(PROTOCOL, (stream) => inbound.resolve(stream));
    const outbound = await client.dialProtocol(
      server.getMultiaddrs()[0],
      PROTOCOL,
    );
    await fn(outbound, await inbound.promise);
  } finally {
    await client.stop();
    await server.stop();
  }
}

/** Resolves with the promise's outcome, or "timeout" after `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise.then((value) => ({ value }), (error) => ({ error })),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Byte equality; frames may come back as a Uint8Array subclass (Buffer). */
function assertBytes(actual: Uint8Array | null, expected: Uint8Array) {
  assert.ok(actual instanceof Uint8Array, `expected bytes, got ${actual}`);
  assert.deepEqual(Uint8Array.from(actual), expected);
}

function assertFrameError(error: unknown, reason: FrameError["reason"]) {
  assert.ok(error instanceof FrameError, `expected FrameError, got ${error}`);
  assert.equal(error.reason, reason);
}

// ---------------------------------------------------------------------------
// encodeFrame

Deno.test("encodeFrame: 4-byte big-endian length, then the body", () => {
  assert.deepEqual(
    encodeFrame(new Uint8Array([0x61, 0x62, 0x63]), { maxBytes: 10 }),
    new Uint8Array([0, 0, 0, 3, 0x61, 0x62, 0x63]),
  );
  const body = bytes(0x010203, 1);
  const frame = encodeFrame(body, { maxBytes: 16 * MIB });
  assert.deepEqual(frame.subarray(0, 4), new Uint8Array([0, 1, 2, 3]));
  assert.deepEqual(frame.subarray(4), body);
  assert.equal(frame.byteLength, 4 + body.byteLength);
});

Deno.test("encodeFrame: zero length rejected unless allowEmpty", () => {
  assert.throws(
    () => encodeFrame(new Uint8Array(0), { maxBytes: 10 }),
    (e) => e instanceof FrameError && e.reason === "empty",
  );
  assert.deepEqual(
    encodeFrame(new Uint8Array(0), { maxBytes: 10, allowEmpty: true }),
    new Uint8Array([0, 0, 0, 0]),
  );
});

Deno.test("encodeFrame: over-cap rejected, exactly the cap accepted", () => {
  assert.equal(encodeFrame(bytes(10, 2), { maxBytes: 10 }).byteLength, 14);
  assert.throws(
    () => encodeFrame(bytes(11, 2), { maxBytes: 10 }),
    (e) => e instanceof FrameError && e.reason === "too_large",
  );
  assert.throws(
    () => encodeFrame(bytes(KIB + 1, 2), { maxBytes: FRAME_CAPS.heartbeat }),
    (e) => e instanceof FrameError && e.reason === "too_large",
  );
});

Deno.test("FRAME_CAPS match the protocol catalogue (wire.md section 3)", () => {
  assert.deepEqual({ ...FRAME_CAPS }, {
    join: MIB,
    leave: 64 * KIB,
    heartbeat: KIB,
    membership: MIB,
    info: 64 * KIB,
    resources: MIB,
    registries: 64 * KIB,
    stream: 16 * MIB,
  });
});

// ---------------------------------------------------------------------------
// FrameReader over real libp2p streams

Deno.test("FrameReader: frames split across many small writes", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: 8 * KIB };
    const bodies = [1, 2, 3, 4, 255, 256, 4099, 8 * KIB].map((n, i) =>
      bytes(n, i)
    );
    const wire = concat(bodies.map((b) => encodeFrame(b, limits)));
    const reader = new FrameReader(server, limits);
    const sizes = [1, 2, 3, 5, 7, 11, 13, 64];
    let sends = 0;
    for (let offset = 0, i = 0; offset < wire.byteLength; i++) {
      const n = sizes[i % sizes.length];
      client.send(wire.subarray(offset, offset + n));
      offset += n;
      sends++;
      if (i % 50 === 0) await delay(1);
    }
    assert.ok(sends > 500, `only ${sends} writes`);
    await client.close();
    for (const body of bodies) assertBytes(await reader.read(), body);
    assert.equal(await reader.read(), null);
  });
});

Deno.test("FrameReader: reads a frame whose bytes arrive one at a time", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: 64 };
    const reader = new FrameReader(server, limits);
    const body = bytes(9, 3);
    const pending = reader.read();
    for (const byte of encodeFrame(body, limits)) {
      client.send(new Uint8Array([byte]));
      await delay(2);
    }
    assertBytes(await pending, body);
    await client.close();
    assert.equal(await reader.read(), null);
  });
});

Deno.test("FrameReader: several frames in one write", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: 1 * KIB };
    const bodies = [bytes(5, 1), bytes(1, 2), bytes(1024, 3), bytes(77, 4)];
    client.send(concat(bodies.map((b) => encodeFrame(b, limits))));
    await client.close();
    const reader = new FrameReader(server, limits);
    for (const body of bodies) assertBytes(await reader.read(), body);
    assert.equal(await reader.read(), null);
    assert.equal(await reader.read(), null);
  });
});

Deno.test("FrameReader: writeFrame frames arrive in order; clean EOF gives null", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: FRAME_CAPS.registries };
    const reader = new FrameReader(server, limits);
    const bodies = Array.from({ length: 20 }, (_, i) => bytes(100 + i, i));
    for (const body of bodies) await writeFrame(client, body, limits);
    await client.close();
    for (const body of bodies) assertBytes(await reader.read(), body);
    assert.equal(await reader.read(), null);
  });
});

Deno.test("FrameReader: EOF on an idle stream gives null", async () => {
  await withStreams(async (client, server) => {
    const reader = new FrameReader(server, { maxBytes: 10 });
    const pending = reader.read();
    await delay(10);
    await client.close();
    assert.equal(await pending, null);
  });
});

Deno.test("FrameReader: EOF inside the header is a truncated frame", async () => {
  await withStreams(async (client, server) => {
    const reader = new FrameReader(server, { maxBytes: 100 });
    client.send(new Uint8Array([0, 0]));
    await client.close();
    await assert.rejects(
      reader.read(),
      (e) => e instanceof FrameError && e.reason === "truncated",
    );
  });
});

Deno.test("FrameReader: EOF inside the body is a truncated frame", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: 100 };
    const reader = new FrameReader(server, limits);
    client.send(encodeFrame(bytes(3, 1), limits));
    client.send(concat([prefix(10), bytes(4, 2)]));
    await client.close();
    assertBytes(await reader.read(), bytes(3, 1));
    await assert.rejects(
      reader.read(),
      (e) => e instanceof FrameError && e.reason === "truncated",
    );
  });
});

Deno.test("FrameReader: a zero-length prefix is rejected without waiting for more", async () => {
  await withStreams(async (client, server) => {
    const reader = new FrameReader(server, { maxBytes: 100 });
    client.send(prefix(0));
    // The stream stays open: the reader must decide from the prefix alone.
    const outcome = await within(reader.read(), 2000);
    assert.notEqual(outcome, "timeout");
    assert.ok(typeof outcome === "object" && "error" in outcome);
    assertFrameError(outcome.error, "empty");
    assert.equal(client.writeStatus, "writable");
  });
});

Deno.test("FrameReader: allowEmpty accepts a zero-length frame", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: 100, allowEmpty: true };
    const reader = new FrameReader(server, limits);
    client.send(concat([prefix(0), encodeFrame(bytes(2, 9), limits)]));
    await client.close();
    assertBytes(await reader.read(), new Uint8Array(0));
    assertBytes(await reader.read(), bytes(2, 9));
    assert.equal(await reader.read(), null);
  });
});

Deno.test("FrameReader: an oversized prefix is rejected before any body arrives", async () => {
  await withStreams(async (client, server) => {
    const reader = new FrameReader(server, { maxBytes: FRAME_CAPS.stream });
    const started = performance.now();
    client.send(prefix(1024 * MIB)); // 1 GiB announced, nothing follows
    const outcome = await within(reader.read(), 2000);
    const elapsed = performance.now() - started;
    assert.notEqual(outcome, "timeout", "reader waited for the body");
    assert.ok(typeof outcome === "object" && "error" in outcome);
    assertFrameError(outcome.error, "too_large");
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.equal(client.writeStatus, "writable");
  });
});

Deno.test("FrameReader: a prefix one byte over the cap is rejected, the cap accepted", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: 1000 };
    const reader = new FrameReader(server, limits);
    client.send(encodeFrame(bytes(1000, 5), limits));
    assertBytes(await reader.read(), bytes(1000, 5));
    client.send(prefix(1001));
    const outcome = await within(reader.read(), 2000);
    assert.ok(typeof outcome === "object" && "error" in outcome);
    assertFrameError(outcome.error, "too_large");
  });
});

Deno.test("FrameReader: a reset stream rejects instead of ending cleanly", async () => {
  await withStreams(async (client, server) => {
    const reader = new FrameReader(server, { maxBytes: 100 });
    const pending = reader.read();
    client.send(new Uint8Array([0, 0, 0, 9, 1]));
    await delay(10);
    client.abort(new Error("test reset"));
    const outcome = await within(pending, 2000);
    assert.ok(typeof outcome === "object" && "error" in outcome);
    assert.ok(!(outcome.error instanceof FrameError), `${outcome.error}`);
  });
});

Deno.test("FrameReader: read honours an abort signal and stays usable", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: 100 };
    const reader = new FrameReader(server, limits);
    const controller = new AbortController();
    const pending = reader.read(controller.signal);
    await delay(10);
    controller.abort(new Error("gave up"));
    await assert.rejects(pending, /gave up/);
    client.send(encodeFrame(bytes(7, 7), limits));
    assertBytes(await reader.read(), bytes(7, 7));
  });
});

Deno.test("FrameReader: resumes a stream that was paused before reading", async () => {
  await withStreams(async (client, server) => {
    const limits = { maxBytes: 100 };
    server.pause();
    client.send(encodeFrame(bytes(12, 1), limits));
    await delay(50);
    const reader = new FrameReader(server, limits);
    const outcome = await within(reader.read(), 2000);
    assert.notEqual(outcome, "timeout", "read never woke up");
    assert.ok(typeof outcome === "object" && "value" in outcome);
    assertBytes(outcome.value, bytes(12, 1));
  });
});

Deno.test("FrameReader + writeFrame: backpressure stalls the writer, then everything arrives", async () => {
  await withStreams(async (client, server) => {
    const limits: FrameLimits = { maxBytes: FRAME_CAPS.info };
    const size = 64 * KIB;
    const count = 640; // 40 MiB: more than the reader side may ever hold
    // The reader side holds at most one frame past the cap, what the stream
    // buffered while paused and what is in flight: each at most one yamux
    // receive window (16 MiB).
    const bound = 2 * 16 * MIB + 2 * (limits.maxBytes + 4);
    assert.ok(count * size > bound);
    const body = (i: number) => {
      const b = new Uint8Array(size).fill(i & 0xff);
      new DataView(b.buffer).setUint32(0, i);
      return b;
    };

    const reader = new FrameReader(server, limits);
    let written = 0;
    let read = 0;
    const writer = (async () => {
      for (let i = 0; i < count; i++) {
        await writeFrame(client, body(i), limits);
        written++;
      }
      await client.close();
    })();
    writer.catch(() => {});

    const readerSide = () => (written - read) * size - client.writeBufferLength;
    // Waits until the writer has made no progress for `quietMs`.
    const stall = async (quietMs: number) => {
      const deadline = performance.now() + 5000;
      let last = -1;
      let since = performance.now();
      while (performance.now() < deadline) {
        if (written !== last) {
          last = written;
          since = performance.now();
        } else if (performance.now() - since >= quietMs) return;
        await delay(10);
      }
      assert.fail(`writer never stalled (wrote ${written} of ${count})`);
    };

    // 1. The reader does not read: the writer must block.
    await stall(150);
    assert.ok(written < count, "writer finished although nobody read");
    assert.ok(written > 0);
    assert.equal(server.readStatus, "paused");
    assert.ok(readerSide() <= bound, `reader side holds ${readerSide()}`);

    // 2. Read a few frames: the stream resumes.
    for (let i = 0; i < 6; i++) {
      const frame = await reader.read();
      assertBytes(frame, body(read));
      read++;
    }

    // 3. Idle again: after resuming, the writer must block once more.
    await stall(150);
    assert.ok(written < count, "writer finished while the reader was idle");
    assert.equal(server.readStatus, "paused");
    assert.ok(readerSide() <= bound, `reader side holds ${readerSide()}`);

    // 4. Read the rest: every frame intact and in order.
    let most = 0;
    while (read < count) {
      const frame = await reader.read();
      assert.ok(frame !== null, `stream ended after ${read} frames`);
      assert.equal(
        new DataView(frame.buffer, frame.byteOffset).getUint32(0),
        read,
      );
      assertBytes(frame, body(read));
      read++;
      most = Math.max(most, readerSide());
    }
    assert.ok(most <= bound, `reader side held up to ${most}`);
    assert.equal(await reader.read(), null);
    await writer;
    assert.equal(written, count);
  });
});

Deno.test("writeFrame: a blocked writer can be aborted and fails when the stream resets", async () => {
  await withStreams(async (client, server) => {
    const limits: FrameLimits = { maxBytes: FRAME_CAPS.info };
    new FrameReader(server, limits); // buffers, never reads
    const body = new Uint8Array(64 * KIB);
    // Writes until one blocks.
    const blockedWrite = async (signal?: AbortSignal) => {
      for (let i = 0; i < 1000; i++) {
        const write = writeFrame(client, body, limits, signal);
        // Wrapped: returning the promise itself would wait for it.
        if (await within(write, 100) === "timeout") return { write };
      }
      assert.fail("writer never blocked");
    };

    const controller = new AbortController();
    const { write: aborted } = await blockedWrite(controller.signal);
    controller.abort(new Error("writer gave up"));
    await assert.rejects(aborted, /writer gave up/);

    const { write: reset } = await blockedWrite();
    server.abort(new Error("reader gave up"));
    const outcome = await within(reset, 2000);
    assert.notEqual(outcome, "timeout", "blocked writer hung after a reset");
    assert.ok(typeof outcome === "object" && "error" in outcome);
  });
});
