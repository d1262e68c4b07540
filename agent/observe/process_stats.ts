/**
 * The agent process's own health: resident memory, CPU time, uptime and
 * event-loop lag (how late a 100 ms timer fires, the worst in the last
 * second).
 *
 * @module
 */
import process from "node:process";

const PROBE_MS = 100;
const WINDOW_MS = 1_000;

/** The process figures of the status and the metrics. */
export interface ProcessStatus {
  /** Resident set size, bytes. */
  resident_memory_bytes: number;
  /** User plus system CPU time, seconds. */
  cpu_seconds: number;
  /** Seconds since the process started. */
  uptime_seconds: number;
  /** Worst event-loop lag of the last second, seconds. */
  event_loop_lag_seconds: number;
}

/** Measures event-loop lag with a repeating timer while started. */
export class EventLoopLag {
  #timer: ReturnType<typeof setInterval> | undefined;
  #worstMs = 0;
  #windowStart = 0;
  #lastWindowMs = 0;

  /** Starts probing (the timer does not keep the process alive). */
  start(): void {
    let expected = performance.now() + PROBE_MS;
    this.#windowStart = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      this.#worstMs = Math.max(this.#worstMs, now - expected);
      expected = now + PROBE_MS;
      if (now - this.#windowStart >= WINDOW_MS) {
        this.#lastWindowMs = this.#worstMs;
        this.#worstMs = 0;
        this.#windowStart = now;
      }
    }, PROBE_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Stops probing. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** The worst lag of the last full second (or of this one, if worse), seconds. */
  get seconds(): number {
    return Math.max(this.#lastWindowMs, this.#worstMs) / 1000;
  }
}

/** The process figures now, with `lag` for the event-loop lag. */
export function processStatus(lag: EventLoopLag): ProcessStatus {
  const cpu = process.cpuUsage();
  return {
    resident_memory_bytes: Deno.memoryUsage().rss,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    uptime_seconds: process.uptime(),
    event_loop_lag_seconds: lag.seconds,
  };
}
