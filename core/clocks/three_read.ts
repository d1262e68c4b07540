/**
 * The three-read clock comparison (spec cluster.md 7.2): read the from-clock
 * (m1), the to-clock (r), the from-clock again (m2).
 *
 * @module
 */

/** One offset sample between two clocks. */
export interface OffsetSample {
  /** From-clock time of the sample, `(m1 + m2) / 2`. */
  timestampNs: bigint;
  /** `r - (m1 + m2) / 2`: to-clock minus from-clock. */
  offsetNs: bigint;
  /** `m2 - m1`: width of the read window in from-clock ns. */
  uncertaintyNs: bigint;
}

/** Samples the offset of `to` against `from` by the three-read method. */
export function threeRead(from: () => bigint, to: () => bigint): OffsetSample {
  const m1 = from();
  const r = to();
  const m2 = from();
  const timestampNs = (m1 + m2) / 2n;
  return { timestampNs, offsetNs: r - timestampNs, uncertaintyNs: m2 - m1 };
}
