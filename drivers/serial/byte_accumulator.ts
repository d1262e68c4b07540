/**
 * The byte buffer of a serial stream decoder: bytes are appended as they
 * arrive, whole packets are consumed from the front, and an incomplete one
 * stays for the next read.
 *
 * @module
 */

/** A growable buffer of received bytes. */
export class ByteAccumulator {
  #buffer: Uint8Array;
  #length = 0;

  /** A buffer starting with room for `capacity` bytes (it grows as needed). */
  constructor(capacity: number) {
    this.#buffer = new Uint8Array(capacity);
  }

  /** Appends `bytes`; returns every buffered byte (a view valid until the next call). */
  append(bytes: Uint8Array): Uint8Array {
    const needed = this.#length + bytes.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, 2 * this.#buffer.length));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length = needed;
    return this.#buffer.subarray(0, needed);
  }

  /** The buffered bytes (a view valid until the next call). */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  /** Drops the first `count` bytes. */
  consume(count: number): void {
    this.#buffer.copyWithin(0, count, this.#length);
    this.#length -= count;
  }

  /** Forgets every buffered byte. */
  reset(): void {
    this.#length = 0;
  }
}
