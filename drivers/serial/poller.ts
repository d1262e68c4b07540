/**
 * Paces a polled device: one request at a time, sent every `periodMs` on a
 * fixed schedule. A request answered early waits for its slot; one not
 * answered within `timeoutMs` is expired and the next goes out at once, so
 * a slow line lowers the rate rather than piling requests up. A request
 * whose slot has already come goes out as soon as the previous one is
 * done, without a timer: Deno's timers fire no sooner than about 2 ms, so
 * timed sends alone fall short of a 2 ms period and late ones catch up
 * this way. A schedule that fell more than a period (and more than
 * {@link MAX_CATCH_UP_MS}, event-loop jitter) behind restarts from now
 * instead of sending a burst.
 *
 * @module
 */

/** Lag a fast schedule catches up on (back to back, one request at a time) rather than dropping, ms. */
const MAX_CATCH_UP_MS = 10;

/** What a {@link Poller} drives. */
export interface PollerOptions {
  /** Time between requests, ms. */
  periodMs: number;
  /** Time a request may stay unanswered, ms. */
  timeoutMs: number;
  /** Sends a request. */
  send(): void;
  /** The outstanding request went unanswered for `timeoutMs`. */
  expire(): void;
}

/** Sends requests on a schedule, one outstanding at a time. */
export class Poller {
  readonly #options: PollerOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dueMs = 0;
  #outstanding = false;
  #running = false;
  /** Bumped by {@link stop}, so an immediate send queued before it is dropped. */
  #generation = 0;

  /** A poller with `options`; call {@link start}. */
  constructor(options: PollerOptions) {
    this.#options = options;
  }

  /** Whether a request is waiting for its answer. */
  get outstanding(): boolean {
    return this.#outstanding;
  }

  /** Sends the first request now. */
  start(): void {
    this.#running = true;
    this.#dueMs = performance.now();
    this.#send();
  }

  /** The outstanding request was answered: the next goes out in its slot. */
  answered(): void {
    if (!this.#outstanding) return;
    this.#outstanding = false;
    clearTimeout(this.#timer);
    this.#scheduleNext();
  }

  /** Stops sending. */
  stop(): void {
    this.#running = false;
    this.#generation++;
    this.#outstanding = false;
    clearTimeout(this.#timer);
  }

  #send(): void {
    if (!this.#running) return;
    this.#outstanding = true;
    this.#timer = setTimeout(() => this.#expire(), this.#options.timeoutMs);
    this.#options.send();
  }

  #expire(): void {
    if (!this.#outstanding) return;
    this.#outstanding = false;
    this.#options.expire();
    this.#scheduleNext();
  }

  #scheduleNext(): void {
    if (!this.#running) return;
    const now = performance.now();
    this.#dueMs += this.#options.periodMs;
    const maxLagMs = Math.max(this.#options.periodMs, MAX_CATCH_UP_MS);
    if (this.#dueMs < now - maxLagMs) this.#dueMs = now;
    const delayMs = this.#dueMs - now;
    if (delayMs > 0) {
      this.#timer = setTimeout(() => this.#send(), delayMs);
      return;
    }
    // After the caller (a decoder handling the answer) is done with this cycle.
    const generation = this.#generation;
    queueMicrotask(() => {
      if (this.#generation === generation) this.#send();
    });
  }
}
