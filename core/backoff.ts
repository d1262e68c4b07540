/**
 * The one exponential backoff of every retry loop (cluster bootstrap,
 * dialing members, relay reservations, CLI admission retries, device
 * sessions): the delay doubles from a minimum to a maximum with every
 * failure and starts over after a success.
 *
 * @module
 */

/** One retried thing's backoff state. */
export class Backoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  #delayMs = 0;
  #retryAt = 0;

  /** A backoff from `minMs` to `maxMs`, due at once. */
  constructor(minMs: number, maxMs: number) {
    this.#minMs = minMs;
    this.#maxMs = maxMs;
  }

  /** Records a failure at `now`; returns the delay before the next attempt, ms. */
  fail(now: number = Date.now()): number {
    this.#delayMs = Math.min(
      Math.max(this.#delayMs * 2, this.#minMs),
      this.#maxMs,
    );
    this.#retryAt = now + this.#delayMs;
    return this.#delayMs;
  }

  /** Records a success: the next attempt is due at once, the next delay is the minimum. */
  reset(): void {
    this.#delayMs = 0;
    this.#retryAt = 0;
  }

  /** Whether the next attempt is due at `now`. */
  due(now: number = Date.now()): boolean {
    return now >= this.#retryAt;
  }

  /** When the next attempt is due, ms since the epoch (0: at once). */
  get retryAt(): number {
    return this.#retryAt;
  }
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Calls `attempt` until it succeeds, waiting out `backoff` after each
 * failure. `onFailure` sees the error and the coming delay and returns
 * false to give up (the error is rethrown); `stopped` ends the loop
 * quietly (resolving `undefined`).
 */
export async function retryWithBackoff<T>(
  attempt: () => Promise<T>,
  backoff: Backoff,
  onFailure: (error: unknown, delayMs: number) => boolean,
  stopped: () => boolean = () => false,
): Promise<T | undefined> {
  while (!stopped()) {
    try {
      const result = await attempt();
      backoff.reset();
      return result;
    } catch (error) {
      const delayMs = backoff.fail();
      if (!onFailure(error, delayMs)) throw error;
      await sleep(delayMs);
    }
  }
  return undefined;
}
