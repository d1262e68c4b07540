/**
 * `auki-edge run`: start the agent.
 *
 * @module
 */
import { Agent } from "../../agent/agent.ts";
import {
  CLUSTER_TARGETS,
  type ConfigFile,
  DEFAULT_LISTEN,
  defaultSeedPath,
  defaultStorage,
  readConfigFile,
  resolveSensors,
} from "../../agent/config.ts";
import { errorMessage } from "../../core/logging.ts";
import { ClusterBootstrapError } from "../../agent/cluster/bootstrap.ts";
import type { ClusterTarget } from "../../agent/cluster/cluster_state.ts";
import { DiscoveryClient } from "../../agent/cluster/discovery_client.ts";
import { startDiscoveryServer } from "../../agent/cluster/discovery_server.ts";
import type { WireEncoding } from "../../core/codec/wire_encoding.ts";
import { stringifyJson } from "../../core/codec/json.ts";
import { multiaddr } from "@multiformats/multiaddr";
import { ALL_DRIVERS, SIM_KINDS } from "../../drivers/registry.ts";
import { flagValue, parseCommand, UsageError } from "../args.ts";
import { parseClusterName, parseDiscoveryUrl } from "../cluster_flags.ts";
import {
  AUTH_FLAGS,
  AUTH_FLAGS_HELP,
  authSettingsOf,
  RUN_AUTH_FLAGS_HELP,
} from "../auth_flags.ts";
import { parseListen } from "./discovery.ts";
import { LiveReadyFile } from "../ready_file.ts";
import { FoxgloveBridge } from "../../agent/foxglove/server.ts";
import { httpListenError } from "../../agent/listen_errors.ts";
import { startServiceNotifier } from "../sd_notify.ts";
import {
  LOG_FLAG_OPTIONS,
  logFlagsHelp,
  loggerFromFlags,
} from "../log_flags.ts";
import { parseRelayAddress } from "../../agent/relay/relay_address.ts";
import { FIRST_RESERVATION_WAIT_MS } from "../../agent/relay/reservations.ts";
import { FIRST_CIRCUIT_WAIT_MS } from "../../agent/genb/relay_booking.ts";
import {
  DEFAULT_HTTP,
  type HttpListen,
  type HttpServer,
  startHttpServer,
} from "../../agent/http/server.ts";
import { type Output, STDIO } from "../output.ts";

const HELP = `Usage: auki-edge run [options]

Starts the agent: records every sensor as a log and serves it over the Auki
protocols (info, resources, registries, stream).

Options:
  --config FILE        JSON configuration file (sensors, storage, listen, ...)
  --listen MULTIADDR   address to listen on, repeatable (default ${DEFAULT_LISTEN});
                       "none" listens nowhere (reachable only through --relay)
  --seed FILE          wallet seed file (default: <storage>/identity.seed)
  --storage DIR        logs and registries (default: ~/.auki/auki-edge)
  --sim KINDS          simulated sensors, comma list of ${
  Object.keys(SIM_KINDS).join(",")
}, or none
                       (default: all four when the config has no "sensors")
  --name NAME          participant name (default: the host name)
  --announce MULTIADDR address to advertise to the cluster, repeatable
                       (default: the listen addresses, routable ones first)
  --ready-file FILE    write {"peer_id","multiaddrs"} here once serving
                       (with "cluster" and "is_manager" once joined,
                       "relays" with the reservations when relays are set,
                       "relay_booking" with --relay-booking, "http" with
                       the HTTP server's URL, and "foxglove" with its ws://
                       URL); with relays it waits for a circuit (10 s, a
                       booked one 30 s) and is rewritten when circuits change
  --http HOST:PORT     serve the status page, /metrics, /healthz and
                       /api/status here (default ${DEFAULT_HTTP}, loopback
                       only; port 0 picks a free port; "none" disables)
  --foxglove HOST:PORT serve the sensors to Foxglove over its WebSocket
                       protocol (foxglove.websocket.v1) here; off by
                       default, port 0 picks a free one
  --relay MULTIADDR    Circuit Relay v2 relay to reserve a circuit on,
                       repeatable: /ip4/HOST/tcp/PORT/p2p/RELAY_PEER_ID; the
                       circuit addresses are advertised to the cluster
                       (see "auki-edge status" for the reservations)
${logFlagsHelp(23)}

Cluster (standalone without; in a cluster only members reach the device):
  --discovery URL          Discovery server of the cluster
  --discovery-token TOKEN  bearer token for Discovery writes (also required by
                           the embedded Discovery); sent with join requests,
                           which generation-A Managers do not check
  --embedded-discovery [HOST:]PORT
                           also run a Discovery server in this process
  --cluster NAME           the cluster (fallback name for most_recent_or_create)
  --target TARGET          create, join, join_or_create (default) or
                           most_recent_or_create
  --wire-encoding ENC      join requests only as protobuf or json (default:
                           protobuf, then json if a Manager drops it)

Authenticated domain (generation B, instead of a cluster; or the config's "auth"):
${AUTH_FLAGS_HELP}
${RUN_AUTH_FLAGS_HELP}
  -h, --help               show this help
`;

/** Parses a `--sim` value into driver names. */
function parseSimKinds(raw: string): string[] {
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

/** Parses a `--target` value. */
export function parseTarget(raw: string): ClusterTarget {
  if (!(CLUSTER_TARGETS as readonly string[]).includes(raw)) {
    throw new Error(
      `unknown target "${raw}" (expected ${CLUSTER_TARGETS.join(", ")})`,
    );
  }
  return raw as ClusterTarget;
}

/** Parses a `--wire-encoding` value. */
function parseWireEncoding(raw: string): WireEncoding {
  if (raw !== "protobuf" && raw !== "json") {
    throw new Error(`"${raw}" is not protobuf or json`);
  }
  return raw;
}

/** Parses an `--http` value: `HOST:PORT`, or `none` (undefined). */
function parseHttp(raw: string): HttpListen | undefined {
  return raw === "none" ? undefined : parseListen(raw);
}

/** Parses `--embedded-discovery`: `PORT` (on 0.0.0.0) or `HOST:PORT`. */
function parseEmbeddedListen(
  raw: string,
): { hostname: string; port: number } {
  return /^\d+$/.test(raw) ? parseListen(`0.0.0.0:${raw}`) : parseListen(raw);
}

/** Runs the agent until SIGINT or SIGTERM; returns the exit code. */
export async function runCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "run",
    options: {
      config: { type: "string" },
      listen: { type: "string", multiple: true },
      announce: { type: "string", multiple: true },
      relay: { type: "string", multiple: true },
      seed: { type: "string" },
      storage: { type: "string" },
      sim: { type: "string" },
      name: { type: "string" },
      "ready-file": { type: "string" },
      http: { type: "string" },
      foxglove: { type: "string" },
      discovery: { type: "string" },
      "discovery-token": { type: "string" },
      "embedded-discovery": { type: "string" },
      cluster: { type: "string" },
      target: { type: "string" },
      "wire-encoding": { type: "string" },
      ...AUTH_FLAGS,
      advertise: { type: "boolean" },
      "relay-booking": { type: "boolean" },
      ...LOG_FLAG_OPTIONS,
    },
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const addrs = (flag: string, list: string[] | undefined) =>
    (list ?? []).map((addr) =>
      flagValue("run", flag, addr, (raw) => multiaddr(raw).toString())
    );
  const listenNone = values.listen?.length === 1 && values.listen[0] === "none";
  const listen = listenNone ? [] : addrs("listen", values.listen);
  const relays = (values.relay ?? []).map((addr) =>
    flagValue("run", "relay", addr, parseRelayAddress)
  );
  const announce = addrs("announce", values.announce);
  const sims = values.sim === undefined
    ? undefined
    : flagValue("run", "sim", values.sim, parseSimKinds);
  const file: ConfigFile | undefined = values.config === undefined
    ? undefined
    : await readConfigFile(values.config);
  const clusterFile = file?.cluster;
  const embedded = values["embedded-discovery"] ??
    clusterFile?.embedded_discovery;
  const embeddedListen = embedded === undefined ? undefined : flagValue(
    "run",
    "embedded-discovery",
    embedded,
    parseEmbeddedListen,
  );
  const discoveryUrl = values.discovery === undefined
    ? clusterFile?.discovery
    : flagValue("run", "discovery", values.discovery, parseDiscoveryUrl);
  const clusterName = values.cluster === undefined
    ? clusterFile?.name
    : flagValue("run", "cluster", values.cluster, parseClusterName);
  const target = values.target === undefined
    ? clusterFile?.target ?? "join_or_create"
    : flagValue("run", "target", values.target, parseTarget);
  const wireEncoding = values["wire-encoding"] === undefined
    ? clusterFile?.wire_encoding
    : flagValue(
      "run",
      "wire-encoding",
      values["wire-encoding"],
      parseWireEncoding,
    );
  if (clusterName === undefined && (discoveryUrl ?? embedded) !== undefined) {
    throw new UsageError(
      "run: --cluster: a cluster name is needed with --discovery",
    );
  }
  if (clusterName !== undefined && (discoveryUrl ?? embedded) === undefined) {
    throw new UsageError(
      "run: --discovery: a Discovery URL (or --embedded-discovery) is needed with --cluster",
    );
  }
  const auth = await authSettingsOf("run", values, file?.auth, {
    advertise: values.advertise,
    relayBooking: values["relay-booking"],
  });
  for (const flag of ["advertise", "relay-booking"] as const) {
    if (auth === undefined && values[flag]) {
      throw new UsageError(`run: --${flag}: needs --domain (gen-B mode)`);
    }
  }
  if (auth !== undefined && (clusterName ?? discoveryUrl ?? embedded)) {
    throw new UsageError(
      "run: --domain: cluster flags (--cluster, --discovery, --embedded-discovery) and domain flags (--domain, --auth-api, --dds, ...) cannot be mixed: one process serves either a generation-A cluster or an authenticated domain",
    );
  }
  const listenOn = listenNone || listen.length > 0
    ? listen
    : file?.listen ?? [DEFAULT_LISTEN];
  const relayList = relays.length > 0 ? relays : file?.relays ?? [];
  if (
    listenOn.length === 0 && relayList.length === 0 && !auth?.relayBooking
  ) {
    throw new UsageError(
      "run: --listen: listening nowhere needs at least one --relay (or --relay-booking), or the agent is unreachable",
    );
  }
  const storage = values.storage ?? file?.storage ?? defaultStorage();
  const http = values.http !== undefined
    ? flagValue("run", "http", values.http, parseHttp)
    // The configuration's value is validated with the file.
    : parseHttp(file?.http ?? DEFAULT_HTTP);
  const extra =
    (sims ?? (file?.sensors === undefined ? Object.values(SIM_KINDS) : []))
      .map((driver) => ({ driver }));
  const sensors = resolveSensors(
    file,
    ALL_DRIVERS,
    extra,
    `config ${values.config}`,
  );
  const logger = loggerFromFlags("run", values, {
    level: file?.log_level,
    format: file?.log_format,
  });
  const token = values["discovery-token"] ?? clusterFile?.token;
  let discoveryServer: ReturnType<typeof startDiscoveryServer> | undefined;
  if (embeddedListen !== undefined) {
    try {
      discoveryServer = startDiscoveryServer({
        ...embeddedListen,
        // The cluster's own token guards every write to it.
        token: token?.replace(/^bearer\s+/i, "").trim() || undefined,
        logger: logger.child("discovery"),
      });
    } catch (error) {
      throw new Error(`embedded Discovery: ${errorMessage(error)}`);
    }
    logger.info(
      `embedded Discovery on ${embeddedListen.hostname}:${discoveryServer.port} (${
        token === undefined
          ? "writes open to anyone who reaches it: set --discovery-token to guard them"
          : "every write needs the cluster's token"
      })`,
    );
  }
  const foxgloveRaw = values.foxglove ?? file?.foxglove;
  const foxgloveListen = foxgloveRaw === undefined
    ? undefined
    : flagValue("run", "foxglove", foxgloveRaw, parseListen);
  let httpServer: HttpServer | undefined;
  try {
    // Bound before the agent starts, so a port in use fails fast.
    httpServer = http && startHttpServer(http, logger.child("http"));
  } catch (error) {
    await discoveryServer?.stop();
    throw error;
  }
  let agent: Agent;
  try {
    agent = await Agent.start({
      name: values.name ?? file?.name,
      storage,
      seedPath: values.seed ?? file?.seed ?? defaultSeedPath(storage),
      listen: listenOn,
      announce: announce.length > 0 ? announce : file?.announce,
      relays: relayList,
      sensors,
      cluster: clusterName === undefined ? undefined : {
        discovery: new DiscoveryClient(discoveryUrl ?? discoveryServer!.url, {
          authorization: token,
        }),
        name: clusterName,
        target,
        wireEncoding,
        authorization: token,
        allowPeers: clusterFile?.allow_peers &&
          new Set(clusterFile.allow_peers),
      },
      auth,
      logger,
    });
  } catch (error) {
    await httpServer?.stop();
    await discoveryServer?.stop();
    throw error;
  }
  httpServer?.serve({
    status: () => agent.status(),
    clusterName: () => agent.cluster?.status().name,
    catalog: agent.catalog,
    registry: agent.registry,
  });
  let foxglove: FoxgloveBridge | undefined;
  if (foxgloveListen !== undefined) {
    try {
      foxglove = await FoxgloveBridge.start({
        ...foxgloveListen,
        catalog: agent.catalog,
        registry: agent.registry,
        name: `auki-edge ${agent.peerId}`,
        logger: logger.child("foxglove"),
      });
    } catch (error) {
      await httpServer?.stop();
      await agent.stop();
      await discoveryServer?.stop();
      throw new Error(
        `Foxglove: ${
          errorMessage(httpListenError(
            error,
            foxgloveListen.hostname,
            foxgloveListen.port,
          ))
        }`,
      );
    }
    logger.info(`Foxglove WebSocket server at ${foxglove.url}`);
  }
  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const service = startServiceNotifier(logger);
  let code = 0;
  if (clusterName !== undefined) service.status(`joining ${clusterName}`);
  const booking = agent.genb?.booking;
  let live: LiveReadyFile | undefined;
  const refreshReady = () => live?.refresh();
  try {
    const joined = await Promise.race([
      (agent.cluster?.joined ?? agent.genb?.supervisor.ready ??
        Promise.resolve()).then(() => true),
      stopped.promise.then(() => false),
    ]);
    const readyFile = values["ready-file"];
    // Ready means reachable: through a relay, when relays are configured
    // or booked; each wait is bounded (decision 110).
    const reached = joined && await Promise.race([
      Promise.all([
        agent.relays?.firstReservation(FIRST_RESERVATION_WAIT_MS),
        booking?.firstCircuit(FIRST_CIRCUIT_WAIT_MS),
      ]).then(([, booked]) => booked),
      stopped.promise.then(() => undefined),
    ]);
    if (reached === false) {
      logger.warn(
        `no booked relay circuit within ${FIRST_CIRCUIT_WAIT_MS / 1000} s (${
          booking!.status().state.replaceAll("_", " ")
        }); ready with the addresses held now, the ready file is rewritten once the circuit is reserved`,
      );
    }
    if (joined && readyFile !== undefined) {
      live = new LiveReadyFile(readyFile, () => {
        const cluster = agent.cluster?.status();
        return stringifyJson({
          peer_id: agent.peerId,
          multiaddrs: agent.multiaddrs(),
          ...(cluster
            ? { cluster: cluster.name, is_manager: cluster.isManager }
            : {}),
          ...(agent.relays ? { relays: agent.relays.status() } : {}),
          ...(booking ? { relay_booking: booking.status() } : {}),
          ...(httpServer ? { http: httpServer.url } : {}),
          ...(foxglove ? { foxglove: foxglove.url } : {}),
        });
      }, logger);
      await live.write();
      // The ready file follows the relay circuits (decision 110).
      booking?.addEventListener("change", refreshReady);
      agent.relays?.addEventListener("change", refreshReady);
    }
    if (joined) service.ready(`serving as ${agent.peerId}`);
    await stopped.promise;
    logger.info("shutting down");
    service.stopping("shutting down");
  } catch (error) {
    if (!(error instanceof ClusterBootstrapError)) throw error;
    code = 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    booking?.removeEventListener("change", refreshReady);
    agent.relays?.removeEventListener("change", refreshReady);
    await live?.close();
    service.close();
    await foxglove?.stop();
    await httpServer?.stop();
    await agent.stop();
    await discoveryServer?.stop();
  }
  return code;
}
