/**
 * The `auki-edge` command line: dispatch to a command, map failures to exit
 * codes (2 for usage mistakes, 1 for runtime failures).
 *
 * @module
 */
import { ConfigError } from "../agent/config_error.ts";
import { SeedFileError } from "../agent/identity/seed_file.ts";
import { USAGE_EXIT_CODE, UsageError } from "./args.ts";
import { errorMessage } from "../core/logging.ts";
import { type Output, STDIO } from "./output.ts";

/** A command: its arguments after the name, where it prints, its exit code. */
type Command = (argv: string[], output: Output) => Promise<number>;

/**
 * Each command's module, loaded when it runs: a client command such as
 * `subscribe` then does not hold the agent's code (drivers, HTTP server,
 * exports) in its heap, which halves its memory (docs/decisions.md 111).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: () => import("./commands/run.ts").then((m) => m.runCommand),
  identity: () =>
    import("./commands/identity.ts").then((m) => m.identityCommand),
  catalog: () => import("./commands/catalog.ts").then((m) => m.catalogCommand),
  subscribe: () =>
    import("./commands/subscribe.ts").then((m) => m.subscribeCommand),
  discovery: () =>
    import("./commands/discovery.ts").then((m) => m.discoveryCommand),
  clusters: () =>
    import("./commands/clusters.ts").then((m) => m.clustersCommand),
  peers: () => import("./commands/peers.ts").then((m) => m.peersCommand),
  ports: () => import("./commands/ports.ts").then((m) => m.portsCommand),
  relay: () => import("./commands/relay.ts").then((m) => m.relayCommand),
  status: () => import("./commands/status.ts").then((m) => m.statusCommand),
  calibrate: () =>
    import("./commands/calibrate.ts").then((m) => m.calibrateCommand),
  calibration: () =>
    import("./commands/calibration.ts").then((m) => m.calibrationCommand),
  frames: () => import("./commands/frames.ts").then((m) => m.framesCommand),
  export: () => import("./commands/export.ts").then((m) => m.exportCommand),
  verify: () => import("./commands/verify.ts").then((m) => m.verifyCommand),
  config: () => import("./commands/config.ts").then((m) => m.configCommand),
  version: () => import("./commands/version.ts").then((m) => m.versionCommand),
  "--version": () =>
    import("./commands/version.ts").then((m) => m.versionCommand),
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
  peers       list the peers advertised in an authenticated domain (DDS)
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
  const load = COMMANDS[name];
  try {
    if (load === undefined) {
      throw new UsageError(`unknown command "${name}" (see auki-edge --help)`);
    }
    const command = await load();
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
