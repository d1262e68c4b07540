/**
 * The recording logger of the tests: {@link MemoryLogger} keeps every line.
 *
 * @module
 */
import type { Logger } from "../../core/logging.ts";

/** A logger keeping `LEVEL message` lines. */
export class MemoryLogger implements Logger {
  /** Lines logged, as `LEVEL message`. */
  readonly lines: string[];

  /** A logger appending to `lines`. */
  constructor(lines: string[] = []) {
    this.lines = lines;
  }
  /** Records a debug line. */
  debug(message: string): void {
    this.lines.push(`DEBUG ${message}`);
  }
  /** Records an info line. */
  info(message: string): void {
    this.lines.push(`INFO ${message}`);
  }
  /** Records a warning. */
  warn(message: string): void {
    this.lines.push(`WARN ${message}`);
  }
  /** Records an error. */
  error(message: string): void {
    this.lines.push(`ERROR ${message}`);
  }
  /** The messages logged at `level` (`"WARN"`, …), without the level. */
  messages(level: "DEBUG" | "INFO" | "WARN" | "ERROR"): string[] {
    const prefix = `${level} `;
    return this.lines.filter((line) => line.startsWith(prefix)).map((line) =>
      line.slice(prefix.length)
    );
  }
  /** The same logger (lines are shared). */
  child(): Logger {
    return this;
  }
}
