/**
 * Estimating a peer's clock offset from heartbeat echo samples: of the recent
 * samples, the one with the shortest delay is the most accurate, and half its
 * delay bounds its error.
 *
 * @module
 */
import type { OffsetSample } from "./heartbeat.ts";

const WINDOW = 16;

/** An offset estimate with its uncertainty. */
export interface OffsetEstimate {
  /** Peer clock minus our clock, ns. */
  offsetNs: bigint;
  /** Half the round-trip delay of the sample used, ns. */
  uncertaintyNs: bigint;
}

/** Keeps the last samples and estimates from the best of them. */
export class OffsetEstimator {
  readonly #samples: OffsetSample[] = [];

  /** Adds a sample, forgetting the oldest past the window. */
  add(sample: OffsetSample): void {
    this.#samples.push(sample);
    if (this.#samples.length > WINDOW) this.#samples.shift();
  }

  /** Forgets every sample (the peer changed). */
  reset(): void {
    this.#samples.length = 0;
  }

  /** The minimum-delay sample's offset, or `undefined` with no samples. */
  estimate(): OffsetEstimate | undefined {
    let best: OffsetSample | undefined;
    for (const s of this.#samples) {
      if (best === undefined || s.delayNs < best.delayNs) best = s;
    }
    return best && {
      offsetNs: best.offsetNs,
      uncertaintyNs: (best.delayNs + 1n) / 2n,
    };
  }
}
