/**
 * `auki-edge version` (and `auki-edge --version`): the release from
 * `deno.json` (core/version.ts), the Deno and V8 versions and the build
 * target.
 *
 * @module
 */
import { VERSION } from "../../core/version.ts";
import { parseCommand } from "../args.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge version   (or auki-edge --version)

Prints the auki-edge version, the Deno and V8 versions and the target.

Options:
  -h, --help   show this help
`;

/** The version lines: auki-edge, deno, v8 and target. */
function versionText(): string {
  return [
    `auki-edge ${VERSION}`,
    `deno ${Deno.version.deno}`,
    `v8 ${Deno.version.v8}`,
    `target ${Deno.build.target}`,
  ].join("\n");
}

/** Runs the version command; returns the exit code. */
export function versionCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({ name: "version", options: {} }, argv);
  output.out(values.help ? HELP : versionText());
  return Promise.resolve(0);
}
