/**
 * `auki-edge config schema` prints the configuration file's JSON Schema;
 * `auki-edge config check FILE` validates a file and prints every problem
 * with its path (exit 2), or one "ok" line.
 *
 * @module
 */
import { configJsonSchema, configProblems } from "../../agent/config_check.ts";
import { parseJson } from "../../core/codec/json.ts";
import { fileErrorMessage } from "../../core/logging.ts";
import { ALL_DRIVERS } from "../../drivers/registry.ts";
import { parseCommand, USAGE_EXIT_CODE, UsageError } from "../args.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge config schema
       auki-edge config check FILE

  schema       print the JSON Schema (draft 2020-12) of the configuration file
               (the run command's --config), sensor settings per driver
  check FILE   validate a configuration file: every problem is one line
               "FILE: <path>: <problem>" on stderr and the exit code is 2;
               a valid file prints "FILE: ok"

Options:
  -h, --help   show this help
`;

/** Runs `config schema` or `config check`; returns the exit code. */
export async function configCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    output.out(HELP);
    return sub === undefined ? USAGE_EXIT_CODE : 0;
  }
  if (sub === "schema") {
    const { values } = parseCommand(
      { name: "config schema", options: {} },
      rest,
    );
    output.out(
      values.help
        ? HELP
        : JSON.stringify(configJsonSchema(ALL_DRIVERS), null, 2),
    );
    return 0;
  }
  if (sub === "check") {
    const { values, positionals } = parseCommand({
      name: "config check",
      options: {},
      positionals: ["FILE"],
    }, rest);
    if (values.help) {
      output.out(HELP);
      return 0;
    }
    return await check(positionals[0], output);
  }
  throw new UsageError(
    `config: unknown subcommand "${sub}" (expected schema or check)`,
  );
}

async function check(path: string, output: Output): Promise<number> {
  let value: unknown;
  try {
    value = parseJson(await Deno.readTextFile(path));
  } catch (error) {
    const what = error instanceof SyntaxError ? "not valid JSON: " : "";
    output.err(`${path}: ${what}${fileErrorMessage(error)}`);
    return USAGE_EXIT_CODE;
  }
  const problems = configProblems(value, ALL_DRIVERS);
  for (const problem of problems) output.err(`${path}: ${problem}`);
  if (problems.length > 0) return USAGE_EXIT_CODE;
  output.out(`${path}: ok`);
  return 0;
}
