/**
 * A clock relation from time transform samples: least-squares line
 * `offset(t) = offset0 + drift * (t - t0)` through `(timestamp, offset)`,
 * with its residuals and the uncertainty it can claim.
 *
 * @module
 */

/** One time transform sample (from-clock timestamp, offset, read window), ns. */
export interface ClockSample {
  /** From-clock reading at the sample, ns. */
  timestampNs: bigint;
  /** `to - from` at the sample, ns. */
  offsetNs: bigint;
  /** Width of the read window, ns. */
  uncertaintyNs: number;
}

/** The fitted relation. */
export interface ClockFit {
  /** Samples used. */
  samples: number;
  /** Span of their timestamps, s. */
  spanS: number;
  /** Offset at the newest sample's timestamp, ns. */
  offsetNs: bigint;
  /** The newest sample's timestamp, ns. */
  atNs: bigint;
  /** Rate of the to-clock relative to the from-clock, ppm. */
  driftPpm: number;
  /** Claimed bound on `driftPpm`'s error (three standard errors), ppm. */
  driftUncertaintyPpm: number;
  /** RMS of the residuals, ns. */
  residualRmsNs: number;
  /** Largest residual, ns. */
  residualMaxNs: number;
  /** Median read window of the samples, ns. */
  readUncertaintyNs: number;
  /** Claimed bound on the offset's error near the newest sample, ns. */
  offsetUncertaintyNs: number;
}

/** Fits a line through `samples` (at least two, distinct timestamps). */
export function fitClock(samples: readonly ClockSample[]): ClockFit {
  if (samples.length < 2) {
    throw new Error(
      `${samples.length} time transform samples: at least 2 are needed`,
    );
  }
  const t0 = samples[0].timestampNs;
  const y0 = samples[0].offsetNs;
  const ts = samples.map((s) => Number(s.timestampNs - t0) / 1e9);
  const ys = samples.map((s) => Number(s.offsetNs - y0));
  const n = samples.length;
  const tMean = ts.reduce((a, b) => a + b, 0) / n;
  const yMean = ys.reduce((a, b) => a + b, 0) / n;
  let stt = 0;
  let sty = 0;
  ts.forEach((t, i) => {
    stt += (t - tMean) ** 2;
    sty += (t - tMean) * (ys[i] - yMean);
  });
  if (stt === 0) {
    throw new Error("the time transform samples share one timestamp");
  }
  const slope = sty / stt; // ns per s
  const residuals = ts.map((t, i) => ys[i] - (yMean + slope * (t - tMean)));
  const sse = residuals.reduce((a, r) => a + r * r, 0);
  const sigma = n > 2 ? Math.sqrt(sse / (n - 2)) : 0;
  const windows = samples.map((s) => s.uncertaintyNs).sort((a, b) => a - b);
  const readUncertaintyNs = windows[Math.floor(n / 2)];
  const tLast = ts[n - 1];
  const fitted = yMean + slope * (tLast - tMean);
  const residualMaxNs = Math.max(...residuals.map(Math.abs));
  const spanS = tLast;
  // A read window bounds each sample's error; spread over the span it bounds the slope too.
  const driftFloor = spanS > 0 ? readUncertaintyNs / spanS / 1e3 : Infinity;
  return {
    samples: n,
    spanS,
    offsetNs: y0 + BigInt(Math.round(fitted)),
    atNs: samples[n - 1].timestampNs,
    driftPpm: slope / 1e3,
    driftUncertaintyPpm: Math.max(3 * sigma / Math.sqrt(stt) / 1e3, driftFloor),
    residualRmsNs: Math.sqrt(sse / n),
    residualMaxNs,
    readUncertaintyNs,
    offsetUncertaintyNs: Math.max(residualMaxNs, readUncertaintyNs),
  };
}
