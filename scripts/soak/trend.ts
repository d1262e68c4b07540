/**
 * The trend of samples over time for the soak: a least-squares slope, per
 * minute, of the samples after a warm-up.
 *
 * @module
 */

/** One reading at `minutes` since the start. */
export interface Sample {
  /** Minutes since the start. */
  minutes: number;
  /** The reading (MiB, descriptors, ...). */
  value: number;
}

/** Least-squares slope of `samples`, value units per minute; 0 with fewer than two. */
export function slopePerMinute(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanX = samples.reduce((s, p) => s + p.minutes, 0) / n;
  const meanY = samples.reduce((s, p) => s + p.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.minutes - meanX) * (p.value - meanY);
    den += (p.minutes - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The samples taken after the first `warmUpMinutes`. */
export function afterWarmUp(
  samples: readonly Sample[],
  warmUpMinutes: number,
): Sample[] {
  return samples.filter((s) => s.minutes >= warmUpMinutes);
}
