/**
 * Gen-B mode of the agent, composed: the authority (domain, own token, DDS
 * keys), the credentials supervisor renewing it, the authenticated protocol
 * service, and (when enabled) the DMS relay booking and the DDS
 * advertisement of this peer's routes.
 *
 * @module
 */
import type { Ed25519PrivateKey, Libp2p } from "@libp2p/interface";
import type { Logger } from "../../core/logging.ts";
import { advertisedMultiaddrs } from "../cluster/advertised.ts";
import type { Service, ServiceComponents } from "../protocols/service.ts";
import { Advertiser } from "./advertisements.ts";
import { AuthSupervisor } from "./auth_supervisor.ts";
import { Authority } from "./authority.ts";
import { CredentialsClient } from "./credentials.ts";
import { type GenBInit, genbService } from "./genb_service.ts";
import { AUTH_PROTOCOLS } from "./ids.ts";
import { KeyRing } from "./key_ring.ts";
import { relayBooking, type RelayBookingService } from "./relay_booking.ts";
import type { GenBSettings } from "./settings.ts";

/** The running gen-B mode: a service plus its authority and supervisor. */
export interface GenBMode extends Service {
  /** The domain, own token and keys. */
  readonly authority: Authority;
  /** The token and key renewal. */
  readonly supervisor: AuthSupervisor;
  /** The DMS relay booking, with `--relay-booking`. */
  readonly booking: RelayBookingService | undefined;
}

/** Builds gen-B mode for `node` (started by the agent like its other services). */
export function genbMode(
  settings: GenBSettings,
  init: Omit<GenBInit, "authority"> & {
    privateKey: Ed25519PrivateKey;
    announce?: string[];
  },
  components: ServiceComponents,
): GenBMode {
  const node: Libp2p = components.node;
  const logger: Logger = components.logger;
  const peerId = node.peerId.toString();
  const authority = new Authority({
    domainId: settings.domainId,
    peerId,
    keys: new KeyRing(),
  });
  const supervisor = new AuthSupervisor({
    client: new CredentialsClient({
      services: { api: settings.api, dds: settings.dds },
      credentials: { appKey: settings.appKey, appSecret: settings.appSecret },
      key: init.privateKey,
      peerId,
      domainId: settings.domainId,
    }),
    authority,
    logger: logger.child("auth"),
  });
  const service = genbService({ ...init, authority }, components);
  // DMS and DDS refusing the token (401) renew it now, once (decision 105).
  const renew = (rejected: string, reason: string) =>
    supervisor.renewNow(rejected, reason);
  const advertiser = settings.advertise
    ? new Advertiser({
      dds: settings.dds,
      authority,
      routes: () => advertisedMultiaddrs(node, init.announce),
      protocols: AUTH_PROTOCOLS,
      logger: logger.child("dds"),
      renew,
    })
    : undefined;
  const booking = settings.relayBooking && settings.dms !== undefined
    ? relayBooking(
      { dms: settings.dms, authority, renew },
      { node, logger: logger.child("dms") },
    )
    : undefined;
  const onAddresses = () => advertiser?.refresh();
  return {
    authority,
    supervisor,
    booking,
    async start() {
      if (settings.dms !== undefined && booking === undefined) {
        logger.info(
          `DMS ${settings.dms} is not used without --relay-booking (auth.relay_booking)`,
        );
      }
      await service.start();
      supervisor.start();
    },
    afterStart() {
      supervisor.ready.then(() => {
        booking?.start();
        if (advertiser === undefined) return;
        advertiser.start();
        node.addEventListener("self:peer:update", onAddresses);
      }, () => {});
    },
    async stop() {
      node.removeEventListener("self:peer:update", onAddresses);
      await advertiser?.stop();
      await booking?.stop();
      await supervisor.stop();
      await service.stop();
    },
  };
}
