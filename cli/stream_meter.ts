/**
 * `subscribe --hz`: the rate, bandwidth, inter-arrival jitter and gaps of
 * a stream, per one-second window and over the whole subscription (like
 * `ros2 topic hz` and `ros2 topic bw`).
 *
 * @module
 */
import { humanBandwidth, humanRate } from "./units.ts";

/** The figures of one window or of the whole subscription. */
export interface MeterReport {
  /** Entries received. */
  entries: number;
  /** Seconds covered. */
  seconds: number;
  /** Entries per second. */
  rate_hz: number;
  /** Payload bytes per second. */
  bytes_per_second: number;
  /** Standard deviation of the arrival intervals, ms (0 with fewer than two intervals). */
  jitter_ms: number;
  /** Shortest arrival interval, ms (0 without intervals). */
  min_interval_ms: number;
  /** Longest arrival interval, ms. */
  max_interval_ms: number;
  /** Source timestamp steps longer than 1.5 nominal periods (twice the mean step so far when the rate is unknown). */
  gaps: number;
}

/** Running mean, variance, min and max (Welford). */
class Intervals {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = 0;

  add(value: number): void {
    this.count++;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
  }
}

class Window {
  readonly startMs: number;
  entries = 0;
  bytes = 0;
  readonly arrivals = new Intervals();
  stepSum = 0;
  steps = 0;
  gaps = 0;

  constructor(startMs: number) {
    this.startMs = startMs;
  }
}

/** Measures a stream's entries as they arrive. */
export class StreamMeter {
  readonly #nominalPeriodNs: number;
  readonly #now: () => number;
  #window: Window;
  #total: Window;
  #lastArrivalMs: number | undefined;
  #lastTimestampNs: bigint | undefined;

  /** A meter of a stream with nominal rate `nominalHz` (0 when unknown); `now` reads ms. */
  constructor(nominalHz: number, now: () => number = () => performance.now()) {
    this.#nominalPeriodNs = nominalHz > 0 ? 1e9 / nominalHz : 0;
    this.#now = now;
    this.#window = new Window(now());
    this.#total = new Window(now());
  }

  /** Counts one entry with source timestamp `timestampNs` and `bytes` payload bytes. */
  add(timestampNs: bigint, bytes: number): void {
    const now = this.#now();
    for (const w of [this.#window, this.#total]) {
      w.entries++;
      w.bytes += bytes;
    }
    if (this.#lastArrivalMs !== undefined) {
      const interval = now - this.#lastArrivalMs;
      this.#window.arrivals.add(interval);
      this.#total.arrivals.add(interval);
    }
    if (this.#lastTimestampNs !== undefined) {
      const step = Number(timestampNs - this.#lastTimestampNs);
      for (const w of [this.#window, this.#total]) {
        const limit = this.#nominalPeriodNs > 0
          ? 1.5 * this.#nominalPeriodNs
          : w.steps > 0
          ? 2 * w.stepSum / w.steps
          : Infinity;
        if (step > limit) w.gaps++;
        w.stepSum += step;
        w.steps++;
      }
    }
    this.#lastArrivalMs = now;
    this.#lastTimestampNs = timestampNs;
  }

  /** The figures since the last call (or the start), starting a new window. */
  window(): MeterReport {
    const report = this.#report(this.#window);
    this.#window = new Window(this.#now());
    return report;
  }

  /** The figures of the whole subscription. */
  total(): MeterReport {
    return this.#report(this.#total);
  }

  #report(w: Window): MeterReport {
    const seconds = Math.max(1e-9, (this.#now() - w.startMs) / 1000);
    const a = w.arrivals;
    return {
      entries: w.entries,
      seconds,
      rate_hz: w.entries / seconds,
      bytes_per_second: w.bytes / seconds,
      jitter_ms: a.count > 1 ? Math.sqrt(a.m2 / (a.count - 1)) : 0,
      min_interval_ms: a.count > 0 ? a.min : 0,
      max_interval_ms: a.max,
      gaps: w.gaps,
    };
  }
}

/** One line of a report: rate, bandwidth, jitter, interval range, gaps and `lost` entries. */
export function formatReport(report: MeterReport, lost: bigint): string {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  return [
    `rate ${humanRate(report.rate_hz)}`,
    `bw ${humanBandwidth(report.bytes_per_second)}`,
    `jitter ${ms(report.jitter_ms)}`,
    `interval ${ms(report.min_interval_ms)}..${ms(report.max_interval_ms)}`,
    `gaps ${report.gaps}`,
    `lost ${lost}`,
  ].join("  ");
}
