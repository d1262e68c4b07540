/**
 * `auki-edge relay`: a Circuit Relay v2 server for devices behind NAT.
 *
 * @module
 */
import { join } from "node:path";
import { multiaddr } from "@multiformats/multiaddr";
import { stringifyJson } from "../../core/codec/json.ts";
import { loadOrCreateSeed } from "../../agent/identity/seed_file.ts";
import { peerKeyFromSeed } from "../../agent/identity/wallet.ts";
import { DEFAULT_MAX_RESERVATIONS_PER_IP } from "../../agent/relay/reservation_holders.ts";
import { startRelayServer } from "../../agent/relay/relay_server.ts";
import { flagValue, parseCommand, parseCount, UsageError } from "../args.ts";
import { parseDomainId, parseServiceUrl } from "../../agent/genb/settings.ts";
import { writeReadyFile } from "../ready_file.ts";
import { startServiceNotifier } from "../sd_notify.ts";
import {
  LOG_FLAG_OPTIONS,
  logFlagsHelp,
  loggerFromFlags,
} from "../log_flags.ts";
import { type Output, STDIO } from "../output.ts";

/** Where relays listen unless told otherwise. */
const DEFAULT_RELAY_LISTEN = "/ip4/0.0.0.0/tcp/4002";

const HELP = `Usage: auki-edge relay [options]

Runs a libp2p Circuit Relay v2 server: devices behind NAT reserve a circuit on
it and are reachable at <relay address>/p2p-circuit/p2p/<device>.

Options:
  --listen MULTIADDR      address to listen on, repeatable (default ${DEFAULT_RELAY_LISTEN})
  --seed FILE             the relay's own seed (default: ~/.auki/auki-edge-relay/identity.seed)
  --max-reservations N    reservations held at once (default 128); a reservation
                          is freed when its peer's last connection closes
  --max-reservations-per-ip N  reservations peers at one IP hold at once
                          (default ${DEFAULT_MAX_RESERVATIONS_PER_IP})
  --max-data BYTES        bytes per relayed connection and direction, 0 = no limit (default 0)
  --max-duration SECONDS  lifetime of a relayed connection, 0 = no limit (default 0)
  --reservation-ttl SECONDS  how long a reservation lasts before renewal (default 3600)
  --ready-file FILE       write {"peer_id","multiaddrs"} here once serving
  --domain UUID           admit circuits for this authenticated domain only
                          (gen B, /auki-p2p/relay-auth/1): a dialer presents a
                          p2p-access token for a target holding a reservation
                          here before it may connect to it; needs --dds
  --dds URL               Domain Data Service, for the token verification keys
${logFlagsHelp(26)}
  -h, --help              show this help
`;

/** Runs the relay until SIGINT or SIGTERM; returns the exit code. */
export async function relayCommand(
  argv: string[],
  output: Output = STDIO,
): Promise<number> {
  const { values } = parseCommand({
    name: "relay",
    options: {
      listen: { type: "string", multiple: true },
      seed: { type: "string" },
      "max-reservations": { type: "string" },
      "max-reservations-per-ip": { type: "string" },
      "max-data": { type: "string" },
      "max-duration": { type: "string" },
      "reservation-ttl": { type: "string" },
      "ready-file": { type: "string" },
      domain: { type: "string" },
      dds: { type: "string" },
      ...LOG_FLAG_OPTIONS,
    },
  }, argv);
  if (values.help) {
    output.out(HELP);
    return 0;
  }
  const listen = (values.listen ?? [DEFAULT_RELAY_LISTEN]).map((addr) =>
    flagValue("relay", "listen", addr, (raw) => multiaddr(raw).toString())
  );
  const count = (flag: string, raw: string | undefined, fallback: number) =>
    raw === undefined ? fallback : flagValue("relay", flag, raw, parseCount);
  const maxReservations = count(
    "max-reservations",
    values["max-reservations"],
    128,
  );
  const maxPerIp = count(
    "max-reservations-per-ip",
    values["max-reservations-per-ip"],
    DEFAULT_MAX_RESERVATIONS_PER_IP,
  );
  const maxData = count("max-data", values["max-data"], 0);
  const maxDuration = count("max-duration", values["max-duration"], 0);
  const ttl = count("reservation-ttl", values["reservation-ttl"], 3600);
  if ((values.domain === undefined) !== (values.dds === undefined)) {
    throw new UsageError(
      `relay: --${
        values.domain === undefined ? "domain" : "dds"
      }: source admission needs both --domain and --dds`,
    );
  }
  const admission = values.domain === undefined ? undefined : {
    domainId: flagValue("relay", "domain", values.domain, parseDomainId),
    dds: flagValue("relay", "dds", values.dds!, parseServiceUrl),
  };
  const seedPath = values.seed ??
    join(
      Deno.env.get("HOME") ?? ".",
      ".auki",
      "auki-edge-relay",
      "identity.seed",
    );
  const logger = loggerFromFlags("relay", values, {
    component: "auki-edge/relay",
  });
  const relay = await startRelayServer({
    privateKey: await peerKeyFromSeed(await loadOrCreateSeed(seedPath)),
    listen,
    maxReservations,
    maxReservationsPerIp: maxPerIp,
    dataLimitBytes: BigInt(maxData),
    durationLimitMs: maxDuration * 1000,
    reservationTtlMs: Math.max(1, ttl) * 1000,
    logger,
    admission,
  });
  logger.info(
    `relay ${relay.node.peerId} on ${
      relay.multiaddrs().join(" ")
    } (${maxReservations} reservations, ${maxPerIp} per IP, ${
      maxData || maxDuration
        ? `limits ${maxData || "unlimited"} bytes / ${
          maxDuration || "unlimited"
        } s`
        : "no circuit limits"
    }${admission ? `; admitting domain ${admission.domainId} only` : ""})`,
    {
      event: "serving",
      peer_id: relay.node.peerId.toString(),
      multiaddrs: relay.multiaddrs(),
    },
  );
  if (values["ready-file"] !== undefined) {
    await writeReadyFile(
      values["ready-file"],
      stringifyJson({
        peer_id: relay.node.peerId.toString(),
        multiaddrs: relay.multiaddrs(),
      }),
    );
  }
  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const service = startServiceNotifier(logger);
  service.ready(`relay ${relay.node.peerId}`);
  await stopped.promise;
  service.stopping("shutting down");
  service.close();
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  await relay.stop();
  return 0;
}
