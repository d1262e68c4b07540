/**
 * Log text built from remote input: ids, paths and reasons a peer sent are
 * cut to a bounded length, so a request cannot write megabytes into the log.
 *
 * @module
 */

/** The most characters of one remote-supplied value a log line carries. */
export const LOGGED_VALUE_CHARS = 200;

/** Control characters, C0 and DEL. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/g;

/**
 * `value` as it may appear in a log line: at most `max` characters, longer
 * values cut with `… (N bytes)` naming their full UTF-8 size; control
 * characters (newlines included) escaped so one value stays on one line.
 */
export function truncated(value: string, max = LOGGED_VALUE_CHARS): string {
  const head = value.length > max ? value.slice(0, max) : value;
  const clean = head.replace(
    CONTROL,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  if (head.length === value.length) return clean;
  return `${clean}… (${new TextEncoder().encode(value).length} bytes)`;
}
