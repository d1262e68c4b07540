/**
 * Device timestamps onto the agent's UTC clock: CLOCK_MONOTONIC readings
 * (V4L2 buffers, native drivers) are shifted by the current offset between
 * the UTC clock and CLOCK_MONOTONIC, and implausible instants are refused.
 *
 * @module
 */
import { monotonicNs } from "../core/clocks/system_time.ts";
import type { DriverContext } from "./driver.ts";

/** Latest a capture timestamp may be ahead of the UTC clock, ns. */
const MAX_AHEAD_NS = 1_000_000_000n;
/** Oldest a capture timestamp may be behind the UTC clock, ns. */
const MAX_BEHIND_NS = 60_000_000_000n;

/**
 * `monotonic` (CLOCK_MONOTONIC, ns) on the UTC clock of `context`: UTC now
 * minus how long ago `monotonic` was, with "now" read between two monotonic
 * reads so the offset's error is half their gap.
 */
export function monotonicToUtc(
  monotonic: bigint,
  context: Pick<DriverContext, "now">,
): bigint {
  const before = monotonicNs();
  const utc = context.now();
  const after = monotonicNs();
  return monotonic + utc - (before + after) / 2n;
}

/**
 * Why `timestampNs` cannot be a capture instant read just now on the UTC
 * clock (`nowNs`), or `undefined` when it can: at most {@link MAX_AHEAD_NS}
 * ahead and {@link MAX_BEHIND_NS} behind.
 */
export function implausibleTimestamp(
  timestampNs: bigint,
  nowNs: bigint,
): string | undefined {
  if (timestampNs > nowNs + MAX_AHEAD_NS) {
    return `timestamp ${timestampNs} ns is ${
      (timestampNs - nowNs) / 1_000_000n
    } ms in the future`;
  }
  if (timestampNs < nowNs - MAX_BEHIND_NS) {
    return `timestamp ${timestampNs} ns is ${
      (nowNs - timestampNs) / 1_000_000_000n
    } s in the past`;
  }
  return undefined;
}
