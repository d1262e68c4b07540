/**
 * `auki-edge identity`: print the peer id of a seed, minting the seed if absent.
 *
 * @module
 */
import { defaultSeedPath, defaultStorage } from "../../agent/config.ts";
import { loadOrCreateSeed } from "../../agent/identity/seed_file.ts";
import { peerIdFromSeed } from "../../agent/identity/wallet.ts";
import { parseCommand } from "../args.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge identity [--seed FILE]

Prints the libp2p peer id derived from the wallet seed (derive_child("peer/v1")).
Creates the seed (32 random bytes, mode 0600) when the file does not exist.

Options:
  --seed FILE   wallet seed file (default: ~/.auki/auki-edge/identity.seed)
  -h, --help    show this help
`;

/** Runs the identity command; returns the exit code. */
export async function identityCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "identity",
    options: { seed: { type: "string" } },
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const seedPath = values.seed ?? defaultSeedPath(defaultStorage());
  const peerId = await peerIdFromSeed(await loadOrCreateSeed(seedPath));
  output.out(peerId.toString());
  return 0;
}
