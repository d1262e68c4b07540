/**
 * `auki-edge verify FILE.mcap`: checks a signed export offline.
 *
 * @module
 */
import { VerifyError, verifyExport } from "../../agent/export/verify.ts";
import { errorMessage } from "../../core/logging.ts";
import { type Output, STDIO } from "../output.ts";
import { parseCommand, UsageError } from "../args.ts";

const HELP = `Usage: auki-edge verify FILE.mcap

Checks an export of "auki-edge export" without contacting any device: reads
every record, recomputes the digests of every message, channel, metadata
record and attachment, and checks the Ed25519 signature of the peer named in
the file. Prints the signing peer id and exits 0 when the file is intact;
names what failed and exits 1 otherwise.

Options:
  -h, --help   show this help
`;

/** Runs the verify command; returns the exit code. */
export async function verifyCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values, positionals } = parseCommand({
    name: "verify",
    options: {},
    positionals: ["FILE.mcap"],
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const path = positionals[0];
  try {
    await Deno.stat(path);
  } catch (error) {
    throw new UsageError(`verify: ${path}: ${errorMessage(error)}`);
  }
  try {
    const verified = await verifyExport(path);
    output.out(
      `${path}: intact, signed by ${verified.peerId} (${verified.messages} messages on ${verified.channels} channels)`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    output.err(`auki-edge verify: ${path}: ${error.message}`);
    return 1;
  }
}
