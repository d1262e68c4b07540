/**
 * Rate limits for warnings a remote peer can trigger at will: each key (a
 * peer, a cause) gets one line per interval, and all keys together at most
 * a fixed number of lines per interval, with suppressed counts reported on
 * the next line written; memory stays bounded however many keys appear.
 *
 * @module
 */

/** Lines all keys of one limiter may write per interval together. */
export const LINES_PER_INTERVAL = 50;
/** Keys one limiter remembers; the oldest are forgotten past it. */
export const MAX_KEYS = 1024;

interface KeyState {
  last: number;
  suppressed: number;
}

/**
 * A writer taking `(key, message)` that writes at most one line per key and
 * `intervalMs`, and at most `linesPerInterval` lines per `intervalMs` overall.
 */
export function rateLimitedByKey(
  intervalMs: number,
  write: (message: string) => void,
  linesPerInterval = LINES_PER_INTERVAL,
): (key: string, message: string) => void {
  const keys = new Map<string, KeyState>();
  let windowStart = -Infinity;
  let windowLines = 0;
  let overall = 0;
  return (key, message) => {
    const now = performance.now();
    if (now - windowStart >= intervalMs) {
      windowStart = now;
      windowLines = 0;
    }
    let state = keys.get(key);
    if (state !== undefined && now - state.last < intervalMs) {
      state.suppressed++;
      return;
    }
    if (windowLines >= linesPerInterval) {
      overall++;
      return;
    }
    if (state === undefined) {
      if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
      state = { last: now, suppressed: 0 };
    }
    keys.delete(key);
    keys.set(key, state);
    windowLines++;
    const counts = [
      state.suppressed > 0 ? `${state.suppressed} more like it suppressed` : "",
      overall > 0 ? `${overall} more from others suppressed` : "",
    ].filter((s) => s !== "").join(", ");
    write(counts === "" ? message : `${message} (${counts})`);
    state.last = now;
    state.suppressed = 0;
    overall = 0;
  };
}
