/**
 * One-line, leveled log output for operators on standard error, as text
 * (`<iso time> <LEVEL> <component>: <message>`) or as one JSON object per line
 * (`time`, `level`, `component`, `message` and the line's structured fields).
 * Under systemd's journal, text lines carry the sd-daemon priority prefix
 * (`<3>` to `<7>`) instead of a timestamp: journald stamps them itself.
 *
 * @module
 */
import { stringifyJson } from "./codec/json.ts";

/** Severity levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** A severity level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** How lines are written: operator text or one JSON object per line. */
export const LOG_FORMATS = ["text", "json"] as const;

/** A line format. */
export type LogFormat = typeof LOG_FORMATS[number];

/** Structured values of a line, kept as JSON fields in the `json` format. */
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** sd-daemon(3) priorities: SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG. */
const JOURNAL_PRIORITY: Record<LogLevel, number> = {
  debug: 7,
  info: 6,
  warn: 4,
  error: 3,
};

/** Where log lines go. */
export interface Logger {
  /** The lowest level written, when known (a logger of {@link createLogger}). */
  readonly level?: LogLevel;
  /** Detail for troubleshooting. */
  debug(message: string, fields?: LogFields): void;
  /** Normal operation worth a line. */
  info(message: string, fields?: LogFields): void;
  /** Something went wrong and was handled. */
  warn(message: string, fields?: LogFields): void;
  /** Something failed. */
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines are tagged with a sub-component. */
  child(component: string): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Line format (default `text`). */
  format?: LogFormat;
  /** Text lines for journald: a priority prefix and no timestamp (default: no). */
  journal?: boolean;
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
  const format = (at: LogLevel, message: string, fields?: LogFields) => {
    if (options.format === "json") {
      const head = {
        time: new Date().toISOString(),
        level: at,
        component,
        message,
      };
      // The head's keys come first and win over fields of the same name.
      return stringifyJson(Object.assign({ ...head }, fields, head));
    }
    const text = `${at.toUpperCase().padEnd(5)} ${component}: ${message}`;
    return options.journal
      ? `<${JOURNAL_PRIORITY[at]}>${text}`
      : `${new Date().toISOString()} ${text}`;
  };
  const write = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (RANK[at] < RANK[level]) return;
    sink(format(at, message, fields));
  };
  return {
    level,
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (name) =>
      createLogger({ ...options, component: `${component}/${name}` }),
  };
}

/**
 * Whether standard error goes to systemd's journal: systemd sets
 * `JOURNAL_STREAM` for services whose output it connects to journald.
 */
export function underJournald(): boolean {
  const env = { name: "env", variable: "JOURNAL_STREAM" } as const;
  return Deno.permissions.querySync(env).state === "granted" &&
    Deno.env.get("JOURNAL_STREAM") !== undefined;
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

/**
 * {@link errorMessage} without the call and path Deno appends to file-system
 * errors (`...(os error 2): readfile '/x'`), for lines that name the path.
 */
export function fileErrorMessage(error: unknown): string {
  return errorMessage(error).replace(/(\(os error \d+\)):.*$/, "$1");
}
