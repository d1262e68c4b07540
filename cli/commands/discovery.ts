/**
 * `auki-edge discovery`: run a Discovery service (the generation-A `/clusters`
 * directory) until SIGINT or SIGTERM.
 *
 * @module
 */
import {
  LIVENESS_REQUIREMENT_MS,
  MAX_CLUSTERS,
  startDiscoveryServer,
} from "../../agent/cluster/discovery_server.ts";
import { stringifyJson } from "../../core/codec/json.ts";
import { flagValue, parseCommand, parseCount } from "../args.ts";
import { writeReadyFile } from "../ready_file.ts";
import { startServiceNotifier } from "../sd_notify.ts";
import {
  LOG_FLAG_OPTIONS,
  logFlagsHelp,
  loggerFromFlags,
} from "../log_flags.ts";
import { type Output, STDIO } from "../output.ts";

/** Default listen address of the discovery command. */
const DEFAULT_DISCOVERY_LISTEN = "0.0.0.0:8080";

const HELP = `Usage: auki-edge discovery [options]

Runs a Discovery service: the /clusters directory Managers register with and
peers look clusters up in. Rows live in memory and are swept when their
Manager stops posting liveness.

Options:
  --listen HOST:PORT   address to listen on (default ${DEFAULT_DISCOVERY_LISTEN}; [::]:PORT for IPv6)
  --ttl-ms N           sweep a cluster after N ms without liveness (default ${LIVENESS_REQUIREMENT_MS})
  --token TOKEN        require "Authorization: Bearer TOKEN" on every write
                       (create, liveness, manager takeover, delete)
  --max-clusters N     clusters held at once; creating more answers 429
                       (default ${MAX_CLUSTERS})
  --ready-file FILE    write {"url"} here once serving
${logFlagsHelp(23)}
  -h, --help           show this help
`;

/** Parses `HOST:PORT` (IPv6 as `[HOST]:PORT`). */
export function parseListen(raw: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw);
  if (match === null) throw new Error(`"${raw}" is not HOST:PORT`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`port ${port} is above 65535`);
  return { hostname: match[1] ?? match[2], port };
}

/** Runs the Discovery service until SIGINT or SIGTERM; returns the exit code. */
export async function discoveryCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "discovery",
    options: {
      listen: { type: "string" },
      "ttl-ms": { type: "string" },
      token: { type: "string" },
      "max-clusters": { type: "string" },
      "ready-file": { type: "string" },
      ...LOG_FLAG_OPTIONS,
    },
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const listen = flagValue(
    "discovery",
    "listen",
    values.listen ?? DEFAULT_DISCOVERY_LISTEN,
    parseListen,
  );
  const ttlMs = values["ttl-ms"] === undefined
    ? LIVENESS_REQUIREMENT_MS
    : flagValue("discovery", "ttl-ms", values["ttl-ms"], (raw) => {
      const ms = parseCount(raw);
      if (ms === 0) throw new Error("must be at least 1");
      return ms;
    });
  const token = values.token === undefined
    ? undefined
    : flagValue("discovery", "token", values.token, (raw) => {
      if (raw.trim() === "" || /\s/.test(raw)) {
        throw new Error("must be a non-empty token without spaces");
      }
      return raw;
    });
  const maxClusters = values["max-clusters"] === undefined
    ? MAX_CLUSTERS
    : flagValue("discovery", "max-clusters", values["max-clusters"], (raw) => {
      const count = parseCount(raw);
      if (count === 0) throw new Error("must be at least 1");
      return count;
    });
  const logger = loggerFromFlags("discovery", values).child("discovery");
  const server = startDiscoveryServer({
    ...listen,
    ttlMs,
    token,
    maxClusters,
    logger,
  });
  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const service = startServiceNotifier(logger);
  try {
    logger.info(
      `serving on ${listen.hostname}:${server.port} (${server.url}), ttl ${ttlMs} ms, at most ${maxClusters} clusters${
        token === undefined ? "" : ", writes need a bearer token"
      }`,
      { event: "serving", url: server.url, ttl_ms: ttlMs },
    );
    const readyFile = values["ready-file"];
    if (readyFile !== undefined) {
      await writeReadyFile(readyFile, stringifyJson({ url: server.url }));
    }
    service.ready(`serving ${server.url}`);
    await stopped.promise;
    logger.info("shutting down");
    service.stopping("shutting down");
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    service.close();
    await server.stop();
  }
  return 0;
}
