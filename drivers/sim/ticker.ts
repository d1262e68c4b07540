/**
 * A drift-free periodic timer for simulated devices: tick `k` is due at
 * `start + k / rateHz`. Late ticks are caught up, but a callback works at
 * most a few milliseconds before yielding to I/O, so a device simulated
 * faster than the machine can go never starves the network; past 16 periods
 * behind, it gives up the backlog and continues from now.
 *
 * @module
 */

/** Longest a timer callback keeps catching up before yielding, ms. */
const BUDGET_MS = 4;
/** Periods of backlog after which the backlog is dropped. */
const MAX_LAG_PERIODS = 16;

/** Calls `onTick(index)` at `rateHz`, starting with index 0. */
export class Ticker {
  readonly #periodMs: number;
  readonly #onTick: (index: number) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #startMs = 0;
  #next = 0;

  /** A ticker at `rateHz` calling `onTick`. */
  constructor(rateHz: number, onTick: (index: number) => void) {
    if (!(rateHz > 0)) {
      throw new RangeError(`rate must be > 0 Hz, got ${rateHz}`);
    }
    this.#periodMs = 1000 / rateHz;
    this.#onTick = onTick;
  }

  /** Starts ticking now. */
  start(): void {
    this.#running = true;
    this.#startMs = performance.now();
    this.#next = 0;
    this.#run();
  }

  #run = (): void => {
    const began = performance.now();
    for (;;) {
      const now = performance.now();
      const due = this.#startMs + this.#next * this.#periodMs;
      if (due > now) break;
      if (now - due > MAX_LAG_PERIODS * this.#periodMs) {
        this.#startMs = now - this.#next * this.#periodMs;
      }
      this.#onTick(this.#next++);
      if (!this.#running) return; // stopped from inside the tick
      if (performance.now() - began >= BUDGET_MS) break;
    }
    const due = this.#startMs + this.#next * this.#periodMs;
    this.#timer = setTimeout(this.#run, Math.max(0, due - performance.now()));
  };

  /** Stops ticking. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
