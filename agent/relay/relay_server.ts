/**
 * A Circuit Relay v2 server for people who host their own relay: standard
 * libp2p CRv2 over TCP, as the Rust `auki-domain-relay` is, with a
 * configurable reservation count and per-circuit limits (none by default, so
 * sensor streams are not cut after 128 KiB or two minutes as on a default
 * relay), and optionally gen-B source admission for one domain.
 *
 * @module
 */
import { createLibp2p } from "libp2p";
import type { Libp2p, PeerId, PrivateKey } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { ping } from "@libp2p/ping";
import {
  circuitRelayServer,
  type CircuitRelayService,
} from "@libp2p/circuit-relay-v2";
import type { Logger } from "../../core/logging.ts";
import {
  CONNECTION_LIMITS,
  logRefusedConnections,
} from "../connection_limits.ts";
import { libp2pLogging } from "../libp2p_logger.ts";
import { libp2pListenError } from "../listen_errors.ts";
import { AGENT_VERSION, trustListenAddresses } from "../node.ts";
import { ReservationHolders } from "./reservation_holders.ts";
import { AdmissionServer } from "../genb/relay_admission_server.ts";

/** The largest data limit a reservation can carry (uint64). */
const UNLIMITED_BYTES = 2n ** 64n - 1n;
/** The longest duration limit the relay transport can time (a 32-bit timer), ms. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** What a relay accepts. */
export interface RelayServerOptions {
  /** The relay's private key. */
  privateKey: PrivateKey;
  /** Multiaddrs to listen on. */
  listen: string[];
  /** Most reservations held at once. */
  maxReservations: number;
  /** Most reservations peers at one IP hold at once. */
  maxReservationsPerIp: number;
  /** Bytes each relayed connection may carry in each direction; 0 = no limit. */
  dataLimitBytes: bigint;
  /** How long each relayed connection may stay open, ms; 0 = no limit. */
  durationLimitMs: number;
  /** How long a reservation lasts before the client must renew it, ms. */
  reservationTtlMs: number;
  /** Where log lines go. */
  logger: Logger;
  /**
   * Source admission for a gen-B domain (genb.md 1.4): CONNECTs only after
   * `/auki-p2p/relay-auth/1` admitted the dialer for the target.
   */
  admission?: { domainId: string; dds: string };
}

/** A running relay. */
export interface RelayServer {
  /** Its libp2p node. */
  node: Libp2p<{ relay: CircuitRelayService }>;
  /** Addresses clients dial, each ending in `/p2p/<relay id>`. */
  multiaddrs(): string[];
  /** Stops serving. */
  stop(): Promise<void>;
}

/** Starts a relay. */
export async function startRelayServer(
  options: RelayServerOptions,
): Promise<RelayServer> {
  const limited = options.dataLimitBytes > 0n || options.durationLimitMs > 0;
  const holders = new ReservationHolders(
    options.maxReservationsPerIp,
    options.logger,
  );
  const admission: AdmissionServer | undefined = options.admission &&
    new AdmissionServer({
      ...options.admission,
      // Called once the node below exists (on admission requests only).
      reservedPeers: (): Iterable<PeerId> =>
        node.services.relay.reservations.keys(),
      logger: options.logger,
    });
  const node: Libp2p<{ relay: CircuitRelayService }> = await createLibp2p({
    start: false,
    privateKey: options.privateKey,
    addresses: { listen: options.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    nodeInfo: { userAgent: `${AGENT_VERSION} relay` },
    ...libp2pLogging(options.logger),
    connectionManager: CONNECTION_LIMITS,
    connectionGater: {
      denyInboundRelayReservation: (peer) => holders.deny(peer),
      denyOutboundRelayedConnection: (source, target) =>
        admission?.deny(source, target) ?? false,
    },
    services: {
      identify: identify(),
      ping: ping(),
      relay: circuitRelayServer({
        reservations: {
          maxReservations: options.maxReservations,
          reservationTtl: options.reservationTtlMs,
          // With one limit set, the other is lifted as far as the relay
          // transport allows (it always applies both).
          applyDefaultLimit: limited,
          defaultDataLimit: options.dataLimitBytes > 0n
            ? options.dataLimitBytes
            : UNLIMITED_BYTES,
          defaultDurationLimit: options.durationLimitMs > 0
            ? options.durationLimitMs
            : LONGEST_TIMER_MS,
        },
      }),
    },
  });
  try {
    await node.start();
  } catch (error) {
    throw libp2pListenError(error);
  }
  await admission?.start(node);
  trustListenAddresses(node);
  holders.attach(node);
  logRefusedConnections(node, options.logger);
  node.services.relay.addEventListener("relay:reservation", (event) => {
    options.logger.info(
      `reservation for ${event.detail.addr} until ${event.detail.expiry.toISOString()}`,
    );
  });
  return {
    node,
    multiaddrs: () => node.getMultiaddrs().map(String),
    stop: async () => {
      await admission?.stop();
      await node.stop();
    },
  };
}
