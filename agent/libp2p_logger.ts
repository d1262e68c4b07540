/**
 * js-libp2p's component logs routed into our {@link Logger} at `debug`, so
 * its troubleshooting output follows `--log-level debug` and `--log-format`
 * (one JSON object per line) instead of the `DEBUG` environment variable.
 *
 * @module
 */
import type {
  ComponentLogger,
  Logger as Libp2pLogger,
} from "@libp2p/interface";
import { stringifyJson } from "../core/codec/json.ts";
import { errorMessage, type Logger } from "../core/logging.ts";

/**
 * Expands libp2p's printf-style format (`%s`, `%p`, `%a`, `%o`, ...; bytes
 * as hex); extra arguments follow.
 */
export function formatLibp2p(formatter: unknown, args: unknown[]): string {
  const text = (value: unknown): string => {
    if (value instanceof Error) return errorMessage(value);
    if (value instanceof Uint8Array) {
      return Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
    }
    const plain = Array.isArray(value) ||
      (typeof value === "object" && value !== null &&
        Object.getPrototypeOf(value) === Object.prototype);
    return plain ? plainJson(value) : String(value);
  };
  const rest = [...args];
  const head = typeof formatter === "string"
    ? formatter.replace(/%([a-zA-Z%])/g, (token, letter) => {
      if (letter === "%") return "%";
      return rest.length > 0 ? text(rest.shift()) : token;
    })
    : text(formatter);
  return [head, ...rest.map(text)].join(" ");
}

function plainJson(value: object): string {
  try {
    return stringifyJson(value);
  } catch {
    return String(value);
  }
}

/**
 * A libp2p ComponentLogger writing every component's messages and errors to
 * `logger.debug`, tagged with the libp2p component name; trace output is
 * dropped (it logs every frame).
 */
function libp2pLogger(logger: Logger): ComponentLogger {
  const forName = (name: string): Libp2pLogger => {
    const write = (formatter: unknown, ...args: unknown[]) =>
      logger.debug(formatLibp2p(formatter, args), { libp2p: name });
    const trace = Object.assign(() => {}, { enabled: false });
    return Object.assign(write, {
      enabled: true,
      error: write,
      trace,
      newScope: (scope: string) => forName(`${name}:${scope}`),
    });
  };
  return { forComponent: forName };
}

/** The `logger` option of createLibp2p: ours when `logger` writes debug lines. */
export function libp2pLogging(
  logger: Logger | undefined,
): { logger?: ComponentLogger } {
  return logger?.level === "debug"
    ? { logger: libp2pLogger(logger.child("libp2p")) }
    : {};
}
