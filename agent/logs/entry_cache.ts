/**
 * The memory cache of a segment log: its most recent entries, bounded in
 * bytes (the newest entry is always kept), so readers that keep up never
 * touch the disk.
 *
 * @module
 */
import type { CachedEntry } from "./cursor.ts";

/** The recent entries of one log. */
export class EntryCache {
  readonly #maxBytes: number;
  readonly #entries: CachedEntry[] = [];
  #bytes = 0;

  /** A cache of at most `maxBytes` of payload (at least the newest entry). */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Adds the newest entry, dropping the oldest ones past the byte budget. */
  remember(entry: CachedEntry): void {
    this.#entries.push(entry);
    this.#bytes += entry.payload.byteLength;
    while (this.#entries.length > 1 && this.#bytes > this.#maxBytes) {
      this.#bytes -= this.#entries.shift()!.payload.byteLength;
    }
  }

  /** Drops the entries before index `firstIndex` (evicted by retention). */
  dropBefore(firstIndex: number): void {
    while (this.#entries.length > 0 && this.#entries[0].index < firstIndex) {
      this.#bytes -= this.#entries.shift()!.payload.byteLength;
    }
  }

  /** The entry with `index`, if cached. */
  get(index: number): CachedEntry | undefined {
    const first = this.#entries[0];
    if (first === undefined || index < first.index) return undefined;
    return this.#entries[index - first.index];
  }

  /**
   * The first entry at or after `timestampNs`, when the cache holds an
   * older entry too (so no uncached entry can come first).
   */
  seek(timestampNs: bigint): CachedEntry | undefined {
    const found = this.#entries.find((e) => e.timestampNs >= timestampNs);
    return found !== undefined && this.#entries[0].timestampNs < timestampNs
      ? found
      : undefined;
  }
}
