/**
 * Auki frame codec: a 4-byte big-endian body length, then the body, one
 * message per frame (spec README decision 3, wire.md section 2). Lengths are
 * checked against the protocol's cap before any body byte is buffered.
 *
 * @module
 */
import type { Stream, StreamCloseEvent } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";

const KIB = 1024;
const MIB = 1024 * KIB;

/** Largest frame body each protocol accepts (spec wire.md section 3). */
export const FRAME_CAPS = {
  join: MIB,
  leave: 64 * KIB,
  heartbeat: KIB,
  membership: MIB,
  info: 64 * KIB,
  resources: MIB,
  registries: 64 * KIB,
  stream: 16 * MIB,
} as const;

/** Why a frame could not be read or written. */
export type FrameErrorReason = "empty" | "too_large" | "truncated";

/** A framing violation: zero length where forbidden, oversize, or EOF mid-frame. */
export class FrameError extends Error {
  /** Creates a frame error with its machine-readable reason. */
  constructor(readonly reason: FrameErrorReason, message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/** Options shared by frame encoding and reading. */
export interface FrameLimits {
  /** Largest accepted body, in bytes. */
  maxBytes: number;
  /** Whether a zero-length body is valid (protobuf info, join and leave only). */
  allowEmpty?: boolean;
}

/** Prefixes a body with its 4-byte big-endian length, enforcing the limits. */
export function encodeFrame(body: Uint8Array, limits: FrameLimits): Uint8Array {
  checkLength(body.byteLength, limits);
  const out = new Uint8Array(4 + body.byteLength);
  new DataView(out.buffer).setUint32(0, body.byteLength, false);
  out.set(body, 4);
  return out;
}

function checkLength(length: number, limits: FrameLimits): void {
  if (length === 0 && !limits.allowEmpty) {
    throw new FrameError("empty", "zero-length frame");
  }
  if (length > limits.maxBytes) {
    throw new FrameError(
      "too_large",
      `frame of ${length} bytes exceeds the ${limits.maxBytes}-byte cap`,
    );
  }
}

/**
 * Reads frames from a libp2p stream. It buffers at most one frame plus what
 * is in flight: past `maxBytes + 4` buffered bytes it pauses the stream, so
 * yamux flow control holds the sender back.
 */
export class FrameReader {
  readonly #stream: Stream;
  readonly #limits: FrameLimits;
  readonly #buffer = new Uint8ArrayList();
  #ended = false;
  #resuming = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  /** Starts buffering the stream's incoming data. */
  constructor(stream: Stream, limits: FrameLimits) {
    this.#stream = stream;
    this.#limits = limits;
    // Data that arrives while paused stays in the stream's read buffer; allow
    // a full yamux window (16 MiB) plus one frame there before it resets.
    stream.maxReadBufferLength = Math.max(
      stream.maxReadBufferLength,
      16 * MIB + limits.maxBytes + 4,
    );
    stream.addEventListener("message", (event) => {
      this.#buffer.append(event.data);
      if (!this.#resuming) this.#pauseIfFull();
      this.#notify();
    });
    stream.addEventListener("remoteCloseWrite", () => {
      this.#ended = true;
      this.#notify();
    });
    stream.addEventListener("close", (event) => {
      this.#ended = true;
      this.#error = event.error;
      this.#notify();
    });
    if (stream.status !== "open") this.#ended = true;
  }

  #pauseIfFull(): void {
    if (
      this.#buffer.byteLength > this.#limits.maxBytes + 4 &&
      this.#stream.readStatus === "readable"
    ) {
      this.#stream.pause();
    }
  }

  /**
   * `resume()` delivers what the stream held while paused synchronously, then
   * re-opens the muxer's receive window. Pausing from inside it would leave
   * the stream "paused" with its window open, so the sender would no longer
   * be held back; pause again only once it has returned.
   */
  #resume(): void {
    this.#resuming = true;
    try {
      this.#stream.resume();
    } finally {
      this.#resuming = false;
    }
    this.#pauseIfFull();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #fill(bytes: number, signal?: AbortSignal): Promise<boolean> {
    while (this.#buffer.byteLength < bytes) {
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return false;
      }
      if (this.#stream.readStatus === "paused") {
        // Resuming may deliver buffered bytes at once: check them first.
        this.#resume();
        continue;
      }
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal?.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
      });
    }
    return true;
  }

  /**
   * Reads the next frame body. Resolves `null` on a clean end of stream
   * between frames; throws {@link FrameError} on a framing violation.
   */
  async read(signal?: AbortSignal): Promise<Uint8Array | null> {
    if (!await this.#fill(4, signal)) {
      if (this.#buffer.byteLength === 0) return null;
      throw new FrameError("truncated", "stream ended inside a frame header");
    }
    const length = this.#buffer.getUint32(0, false);
    checkLength(length, this.#limits);
    if (!await this.#fill(4 + length, signal)) {
      throw new FrameError(
        "truncated",
        `stream ended after ${
          this.#buffer.byteLength - 4
        } of ${length} frame bytes`,
      );
    }
    const body = this.#buffer.subarray(4, 4 + length);
    this.#buffer.consume(4 + length);
    if (
      this.#stream.readStatus === "paused" &&
      this.#buffer.byteLength <= this.#limits.maxBytes + 4
    ) {
      this.#resume();
    }
    return body;
  }
}

/**
 * Writes one frame and waits until the stream can take more, so a slow reader
 * holds the writer back instead of growing its buffer.
 */
export async function writeFrame(
  stream: Stream,
  body: Uint8Array,
  limits: FrameLimits,
  signal?: AbortSignal,
): Promise<void> {
  if (!stream.send(encodeFrame(body, limits))) {
    await waitForDrain(stream, signal);
  }
}

/**
 * Resolves on the stream's next `drain` event (at once when it needs none),
 * rejects when it closes first or `signal` aborts. `Stream.onDrain()` is not used:
 * in @libp2p/utils 7.4 its promise is created once and never renewed, so after
 * the first drain it resolves at once and would not hold the writer back.
 */
export function waitForDrain(
  stream: Stream,
  signal?: AbortSignal,
): Promise<void> {
  if (!stream.writableNeedsDrain) return Promise.resolve();
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (stream.status !== "open" && stream.status !== "closing") {
    // Closed already (an over-full write buffer aborts inside `send`): no
    // event will come.
    return Promise.reject(new Error(`stream is ${stream.status}`));
  }
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.removeEventListener("drain", onDrain);
      stream.removeEventListener("close", onClose);
      signal?.removeEventListener("abort", onAbort);
    };
    const onDrain = () => {
      done();
      resolve();
    };
    const onClose = (event: StreamCloseEvent) => {
      done();
      reject(event.error ?? new Error("stream closed while waiting to write"));
    };
    const onAbort = () => {
      done();
      reject(signal?.reason);
    };
    stream.addEventListener("drain", onDrain);
    stream.addEventListener("close", onClose);
    signal?.addEventListener("abort", onAbort);
  });
}
