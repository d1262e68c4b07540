/**
 * Exact-length reads from a libp2p stream for a prefix exchange (the gen-B
 * handshake) that hands the stream on afterwards: {@link StreamBytes.release}
 * stops listening and puts back any bytes read past the prefix, so the
 * protocol's own reader sees the stream from where the prefix ended.
 *
 * @module
 */
import type { Stream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";

/** Reads exact byte counts from a stream until released. */
export class StreamBytes {
  readonly #stream: Stream;
  readonly #buffer = new Uint8ArrayList();
  #ended: boolean;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #onMessage = (event: { data: Uint8Array | Uint8ArrayList }) => {
    this.#buffer.append(event.data);
    this.#notify();
  };
  readonly #onEnd = () => {
    this.#ended = true;
    this.#notify();
  };
  readonly #onClose = (event: { error?: Error }) => {
    this.#ended = true;
    this.#error = event.error;
    this.#notify();
  };

  /** Starts buffering the stream's incoming data. */
  constructor(stream: Stream) {
    this.#stream = stream;
    this.#ended = stream.status !== "open" ||
      stream.remoteWriteStatus === "closed";
    stream.addEventListener("message", this.#onMessage);
    stream.addEventListener("remoteCloseWrite", this.#onEnd);
    stream.addEventListener("close", this.#onClose);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The next `n` bytes; `null` when the stream ends first. */
  async read(n: number, signal: AbortSignal): Promise<Uint8Array | null> {
    while (this.#buffer.byteLength < n) {
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return null;
      }
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        this.#wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      });
    }
    const bytes = this.#buffer.subarray(0, n);
    this.#buffer.consume(n);
    return bytes;
  }

  /** Stops listening and returns unread bytes to the stream. */
  release(): void {
    this.#stream.removeEventListener("message", this.#onMessage);
    this.#stream.removeEventListener("remoteCloseWrite", this.#onEnd);
    this.#stream.removeEventListener("close", this.#onClose);
    if (this.#buffer.byteLength > 0 && this.#stream.readStatus !== "closed") {
      this.#stream.unshift(this.#buffer.sublist());
    }
  }
}
