/**
 * The `auki-edge` command line: dispatch to a command, map failures to exit
 * codes (2 for usage mistakes, 1 for runtime failures).
 *
 * @module
 */
import { ConfigError } from "../agent/config.ts";
import { SeedFileError } from "../agent/identity/seed_file.ts";
import { USAGE_EXIT_CODE, UsageError } from "./args.ts";
import { calibrateCommand } from "./commands/calibrate.ts";
import { calibrationCommand } from "./commands/calibration.ts";
import { catalogCommand } from "./commands/catalog.ts";
import { exportCommand } from "./commands/export.ts";
import { clustersCommand } from "./commands/clusters.ts";
import { configCommand } from "./commands/config.ts";
import { discoveryCommand } from "./commands/discovery.ts";
import { framesCommand } from "./commands/frames.ts";
import { relayCommand } from "./commands/relay.ts";
import { identityCommand } from "./commands/identity.ts";
import { portsCommand } from "./commands/ports.ts";
import { runCommand } from "./commands/run.ts";
import { statusCommand } from "./commands/status.ts";
import { subscribeCommand } from "./commands/subscribe.ts";
import { verifyCommand } from "./commands/verify.ts";
import { versionCommand } from "./commands/version.ts";
import { errorMessage } from "../core/logging.ts";
import { type Output, STDIO } from "./output.ts";

const COMMANDS: Record<
  string,
  (argv: string[], output: Output) => Promise<number>
> = {
  run: runCommand,
  identity: identityCommand,
  catalog: catalogCommand,
  subscribe: subscribeCommand,
  discovery: discoveryCommand,
  clusters: clustersCommand,
  ports: portsCommand,
  relay: relayCommand,
  status: statusCommand,
  calibrate: calibrateCommand,
  calibration: calibrationCommand,
  frames: framesCommand,
  export: exportCommand,
  verify: verifyCommand,
  config: configCommand,
  version: versionCommand,
  "--version": versionCommand,
};

const HELP = `Usage: auki-edge <command> [options]

An edge sensor agent for the Auki network.

Commands:
  run         start the agent (simulated sensors by default)
  identity    print the peer id of the wallet seed
  catalog     list a peer's resources
  subscribe   read a peer's stream
  discovery   run a local Discovery server (the /clusters API)
  clusters    list the clusters a Discovery server knows
  relay       run a Circuit Relay v2 server for devices behind NAT
  status      show a running agent's cluster and relay reservations
  ports       list the serial ports for serial sensors
  calibrate   calibrate a camera, extrinsics, joint offsets or the clocks
  calibration show or delete stored calibrations
  frames      print a peer's frame tree of static transforms
  export      write recorded logs into a signed MCAP file (Foxglove schemas)
  verify      check a signed MCAP export offline
  config      print the configuration's JSON Schema, or check a file
  version     print the version, the Deno and V8 versions and the target
              (also --version)

Run "auki-edge <command> --help" for a command's options.
`;

/** Runs the command line, printing through `output`; resolves the process exit code. */
export async function main(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const [name, ...rest] = argv;
  if (
    name === undefined || name === "--help" || name === "-h" || name === "help"
  ) {
    output.out(HELP);
    return name === undefined ? USAGE_EXIT_CODE : 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) {
      throw new UsageError(`unknown command "${name}" (see auki-edge --help)`);
    }
    return await command(rest, output);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      output.err(`auki-edge ${error.message}`);
      return USAGE_EXIT_CODE;
    }
    if (error instanceof SeedFileError) {
      output.err(`auki-edge: ${error.message}`);
      return 1;
    }
    output.err(
      `auki-edge ${name}: ${errorMessage(error)}`,
    );
    return 1;
  }
}
