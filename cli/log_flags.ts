/**
 * `--log-level` and `--log-format`, shared by the long-running commands
 * (`run`, `relay`, `discovery`): the flags override the configuration file.
 *
 * @module
 */
import {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  underJournald,
} from "../core/logging.ts";
import { flagValue } from "./args.ts";

/** The parseArgs options of the logging flags. */
export const LOG_FLAG_OPTIONS = {
  "log-level": { type: "string" },
  "log-format": { type: "string" },
} as const;

/**
 * The logging flags' lines of a command's `--help`, descriptions starting at
 * `column` like the command's other flags.
 */
export function logFlagsHelp(column: number): string {
  const flags: [string, string[]][] = [
    ["--log-level LEVEL", [
      "error, warn, info (default) or debug;",
      "debug includes libp2p's own logs",
    ]],
    ["--log-format FORMAT", [
      "text (default) or json: one object per line",
      "on stderr with time, level, component, message",
    ]],
  ];
  return flags.map(([flag, [first, ...rest]]) =>
    [
      `  ${flag.padEnd(column - 2)}${first}`,
      ...rest.map((line) => `${" ".repeat(column)}${line}`),
    ].join("\n")
  ).join("\n");
}

/** Parses a `--log-level` value. */
function parseLogLevel(raw: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new Error(`"${raw}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  return raw as LogLevel;
}

/** Parses a `--log-format` value. */
function parseLogFormat(raw: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(raw)) {
    throw new Error(`"${raw}" is not one of ${LOG_FORMATS.join(", ")}`);
  }
  return raw as LogFormat;
}

/**
 * The logger of a command from its flag values, falling back to the
 * configuration's `log_level` and `log_format`; a bad value names the flag.
 */
export function loggerFromFlags(
  command: string,
  values: { "log-level"?: string; "log-format"?: string },
  options: { level?: LogLevel; format?: LogFormat; component?: string } = {},
): Logger {
  const levelFlag = values["log-level"];
  const formatFlag = values["log-format"];
  const level = levelFlag === undefined
    ? options.level
    : flagValue(command, "log-level", levelFlag, parseLogLevel);
  const format = formatFlag === undefined
    ? options.format
    : flagValue(command, "log-format", formatFlag, parseLogFormat);
  return createLogger({
    level,
    format,
    journal: underJournald(),
    component: options.component,
  });
}
