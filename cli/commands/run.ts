/**
 * `auki-edge run`: start the agent.
 *
 * @module
 */
import { Agent } from "../../agent/agent.ts";
import {
  type ConfigFile,
  DEFAULT_LISTEN,
  defaultSeedPath,
  defaultStorage,
  logLevelOf,
  readConfigFile,
  resolveSensors,
} from "../../agent/config.ts";
import { createLogger } from "../../agent/logging.ts";
import { stringifyJson } from "../../agent/codec/json.ts";
import { multiaddr } from "@multiformats/multiaddr";
import { ALL_DRIVERS, SIM_KINDS } from "../../drivers/registry.ts";
import { flagValue, parseCommand } from "../args.ts";
import { writeReadyFile } from "../ready_file.ts";

const HELP = `Usage: auki-edge run [options]

Starts the agent: records every sensor as a log and serves it over the Auki
protocols (info, resources, registries, stream).

Options:
  --config FILE        JSON configuration file (sensors, storage, listen, ...)
  --listen MULTIADDR   address to listen on, repeatable (default ${DEFAULT_LISTEN})
  --seed FILE          wallet seed file (default: <storage>/identity.seed)
  --storage DIR        logs and registries (default: ~/.auki/auki-edge)
  --sim KINDS          simulated sensors, comma list of ${
  Object.keys(SIM_KINDS).join(",")
}, or none
                       (default: all four when the config has no sensors)
  --name NAME          participant name (default: the host name)
  --ready-file FILE    write {"peer_id","multiaddrs"} here once serving
  -h, --help           show this help
`;

/** Parses a `--sim` value into driver names. */
export function parseSimKinds(raw: string): string[] {
  if (raw === "none") return [];
  const kinds = raw.split(",").map((k) => k.trim()).filter((k) => k !== "");
  if (kinds.length === 0) {
    throw new Error("expects a comma list of sensor kinds");
  }
  return kinds.map((kind) => {
    const driver = (SIM_KINDS as Record<string, string>)[kind];
    if (driver === undefined) {
      throw new Error(
        `unknown sensor kind "${kind}" (expected ${
          Object.keys(SIM_KINDS).join(", ")
        } or none)`,
      );
    }
    return driver;
  });
}

/** Runs the agent until SIGINT or SIGTERM; returns the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand({
    name: "run",
    options: {
      config: { type: "string" },
      listen: { type: "string", multiple: true },
      seed: { type: "string" },
      storage: { type: "string" },
      sim: { type: "string" },
      name: { type: "string" },
      "ready-file": { type: "string" },
    },
  }, argv);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const listen = (values.listen ?? []).map((addr) =>
    flagValue("run", "listen", addr, (raw) => multiaddr(raw).toString())
  );
  const sims = values.sim === undefined
    ? undefined
    : flagValue("run", "sim", values.sim, parseSimKinds);
  const file: ConfigFile | undefined = values.config === undefined
    ? undefined
    : await readConfigFile(values.config);
  const storage = values.storage ?? file?.storage ?? defaultStorage();
  const extra =
    (sims ?? (file?.sensors?.length ? [] : Object.values(SIM_KINDS)))
      .map((driver) => ({ driver }));
  const sensors = resolveSensors(
    file,
    ALL_DRIVERS,
    extra,
    `config ${values.config}`,
  );
  const logger = createLogger({ level: logLevelOf(file) });
  const agent = await Agent.start({
    name: values.name ?? file?.name,
    storage,
    seedPath: values.seed ?? file?.seed ?? defaultSeedPath(storage),
    listen: listen.length > 0 ? listen : file?.listen ?? [DEFAULT_LISTEN],
    sensors,
    logger,
  });
  const readyFile = values["ready-file"];
  if (readyFile !== undefined) {
    await writeReadyFile(
      readyFile,
      stringifyJson({ peer_id: agent.peerId, multiaddrs: agent.multiaddrs() }),
    );
  }
  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await stopped.promise;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  logger.info("shutting down");
  await agent.stop();
  return 0;
}
