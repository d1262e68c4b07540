/**
 * One-line, leveled log output for operators: `<iso time> <LEVEL> <component>: <message>`.
 *
 * @module
 */

/** Severity levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Where log lines go. */
export interface Logger {
  /** Detail for troubleshooting. */
  debug(message: string): void;
  /** Normal operation worth a line. */
  info(message: string): void;
  /** Something went wrong and was handled. */
  warn(message: string): void;
  /** Something failed. */
  error(message: string): void;
  /** A logger whose lines are tagged with a sub-component. */
  child(component: string): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Component tag of every line. */
  component?: string;
  /** Receives each formatted line (default: standard error). */
  sink?: (line: string) => void;
}

/** A logger writing formatted lines to `sink`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const component = options.component ?? "auki-edge";
  const sink = options.sink ?? ((line: string) => console.error(line));
  const write = (at: LogLevel) => (message: string) => {
    if (RANK[at] < RANK[level]) return;
    sink(
      `${new Date().toISOString()} ${
        at.toUpperCase().padEnd(5)
      } ${component}: ${message}`,
    );
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (name) =>
      createLogger({ level, sink, component: `${component}/${name}` }),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/**
 * Calls `write` at most once per `intervalMs`, reporting how many calls were
 * suppressed since the last one; for faults that can repeat at sensor rate.
 */
export function rateLimited(
  intervalMs: number,
  write: (message: string) => void,
): (message: string) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (message) => {
    const now = performance.now();
    if (now - last < intervalMs) {
      suppressed++;
      return;
    }
    last = now;
    write(
      suppressed > 0 ? `${message} (${suppressed} more suppressed)` : message,
    );
    suppressed = 0;
  };
}

/** The message of a thrown value: an Error's message, anything else as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
