/**
 * One supervisor for device sessions, shared by the native, V4L2 and serial
 * drivers: open a session on the device, read until it ends, back off, and
 * open the next one on the same device (the sensor keeps its `resource_id`).
 *
 * The backoff (the shared {@link Backoff}) starts at `retryMinMs` and
 * doubles up to `retryMaxMs` after every session; a session that delivered
 * a sample resets it to `retryMinMs`. A session whose device call is stuck (it outlived its
 * deadline) is followed by the next only once that call returned. Stopping
 * aborts the signal the sessions get, ends the backoff at once, and waits
 * for the running session to end; a stopped session is not reported.
 *
 * @module
 */
import { Backoff, sleep } from "../core/backoff.ts";
import { aborted } from "./deadline.ts";
import type { OfflineReason } from "./driver.ts";

/** How one session ended. */
export interface SessionEnd {
  /** Why the device is not producing now. */
  reason: OfflineReason;
  /** What happened, in words, naming the device where useful. */
  detail: string;
  /** Whether the session delivered a sample (the backoff starts over). */
  produced: boolean;
  /** A device call that outlived its deadline, still running. */
  stuck?: Promise<unknown>;
}

/** What a {@link SessionSupervisor} runs and how it reports. */
export interface SupervisorOptions {
  /** First reopen delay, ms. */
  retryMinMs: number;
  /** Longest reopen delay, ms. */
  retryMaxMs: number;
  /** Opens one session and reads until it ends; it ends early once `signal` aborts. */
  session(signal: AbortSignal): Promise<SessionEnd>;
  /** Reports a session that ended on its own (e.g. takes the sensor offline), before the backoff. */
  ended?(end: SessionEnd): void;
  /** Says what happens next: `…; reopening in N ms` or `…; reopening once the call returns`. */
  warn?(message: string): void;
}

/** Runs device sessions one after another, with backoff, until stopped. */
export class SessionSupervisor {
  readonly #options: SupervisorOptions;
  #abort = new AbortController();
  #running: Promise<void> | undefined;

  /** A supervisor of `options.session`; call {@link start}. */
  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  /** Whether it was started and not stopped. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Starts the first session; the loop runs in the background. */
  start(): void {
    if (this.#running !== undefined) return;
    this.#abort = new AbortController();
    this.#running = this.#run(this.#abort.signal);
  }

  /** Aborts the running session and the backoff; resolves once the session ended. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    this.#running = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { retryMinMs, retryMaxMs, session, ended, warn } = this.#options;
    const backoff = new Backoff(retryMinMs, retryMaxMs);
    while (!signal.aborted) {
      const end = await session(signal);
      if (signal.aborted) return;
      if (end.produced) backoff.reset();
      const delay = backoff.fail();
      ended?.(end);
      if (end.stuck !== undefined) {
        warn?.(`${end.detail}; reopening once the call returns`);
        await Promise.race([end.stuck, aborted(signal)]);
        if (signal.aborted) return;
      }
      warn?.(`${end.detail}; reopening in ${delay} ms`);
      await sleep(delay, signal);
    }
  }
}
