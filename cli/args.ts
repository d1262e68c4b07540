/**
 * Command-line parsing on `node:util` parseArgs with the project's contract:
 * a wrong flag or bad value is one line naming the flag, and exit code 2.
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { errorMessage } from "../core/logging.ts";

/** A usage mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  /** Creates the error; the message names the flag or argument at fault. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit code of usage mistakes. */
export const USAGE_EXIT_CODE = 2;

/** What a command accepts. */
export interface CommandSpec<Options extends ParseArgsOptionsConfig> {
  /** Command name, e.g. `run`. */
  name: string;
  /** Flags (besides `--help`, which every command has). */
  options: Options;
  /** Names of the positional arguments, all required. */
  positionals?: readonly string[];
}

type WithHelp<Options> = Options & {
  help: { type: "boolean"; short: "h" };
};

/** What {@link parseCommand} returns: the flag values and positionals. */
export type ParsedCommand<Options extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{
    options: WithHelp<Options>;
    allowPositionals: true;
    strict: true;
  }>
>;

/** Parses `argv` for a command; throws {@link UsageError} on any mistake. */
export function parseCommand<Options extends ParseArgsOptionsConfig>(
  spec: CommandSpec<Options>,
  argv: string[],
): ParsedCommand<Options> {
  let parsed: ParsedCommand<Options>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...spec.options,
        help: { type: "boolean", short: "h" },
      } as WithHelp<Options>,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${spec.name}: ${explain(error, spec.options)}`);
  }
  const names = spec.positionals ?? [];
  if (!(parsed.values as { help?: boolean }).help) {
    if (parsed.positionals.length < names.length) {
      throw new UsageError(
        `${spec.name}: missing ${
          names.slice(parsed.positionals.length).join(" ")
        }`,
      );
    }
    if (parsed.positionals.length > names.length) {
      throw new UsageError(
        `${spec.name}: unexpected argument "${
          parsed.positionals[names.length]
        }"`,
      );
    }
  }
  return parsed;
}

function explain(error: unknown, options: ParseArgsOptionsConfig): string {
  const code = (error as { code?: string }).code;
  const message = errorMessage(error);
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = flag.replace(/^--?/, "");
      return options[name]?.type === "boolean"
        ? `${flag} takes no value`
        : `${flag} needs a value`;
    }
    default:
      return message.split("\n")[0];
  }
}

/** Parses a flag value with `parse`; a failure names the flag. */
export function flagValue<T>(
  command: string,
  flag: string,
  raw: string,
  parse: (raw: string) => T,
): T {
  try {
    return parse(raw);
  } catch (error) {
    throw new UsageError(
      `${command}: --${flag}: ${errorMessage(error)}`,
    );
  }
}

/** Parses a non-negative integer or throws with a short reason. */
export function parseCount(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new Error(`"${raw}" is not a whole number`);
  return Number(raw);
}
