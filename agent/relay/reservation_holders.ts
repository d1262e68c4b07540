/**
 * Who holds the relay's reservations: frees a reservation as soon as the
 * reserving peer's last connection closes (as rust-libp2p does, so throwaway
 * peer ids cannot hold every slot until the TTL runs out) and refuses a new
 * reservation past a per-IP limit (one peer id holds at most one, keyed by
 * peer).
 *
 * @module
 */
import type { Libp2p, PeerId } from "@libp2p/interface";
import type { CircuitRelayService } from "@libp2p/circuit-relay-v2";
import type { Logger } from "../../core/logging.ts";
import { truncated } from "../../core/log_text.ts";

/** Reservations one remote IP may hold at once unless told otherwise. */
export const DEFAULT_MAX_RESERVATIONS_PER_IP = 32;

interface StoredReservation {
  addr: { toString(): string };
  signal: { clear(): void };
}

interface ServerInternals {
  reservationStore: { removeReservation(peer: PeerId): void };
}

/** The IP of a multiaddr (`/ip4/<ip>/...` or `/ip6/<ip>/...`), or the whole address. */
export function ipOf(addr: string): string {
  const parts = addr.split("/");
  return parts[1] === "ip4" || parts[1] === "ip6" ? parts[2] : addr;
}

/** Tracks reservation holders of a relay node. */
export class ReservationHolders {
  #node: Libp2p<{ relay: CircuitRelayService }> | undefined;
  readonly #maxPerIp: number;
  readonly #logger: Logger;

  /** Holders allowing `maxPerIp` reservations per remote IP. */
  constructor(maxPerIp: number, logger: Logger) {
    this.#maxPerIp = maxPerIp;
    this.#logger = logger;
  }

  /** Starts freeing the reservations of `node`'s peers as they disconnect. */
  attach(node: Libp2p<{ relay: CircuitRelayService }>): void {
    this.#node = node;
    node.addEventListener(
      "peer:disconnect",
      (event) => this.#free(event.detail),
    );
  }

  /** How many reservations peers at `ip` hold, leaving `except` out. */
  #heldBy(ip: string, except?: PeerId): number {
    let held = 0;
    for (const [peer, reservation] of this.#reservations()) {
      if (except !== undefined && peer.equals(except)) continue;
      if (ipOf(reservation.addr.toString()) === ip) held++;
    }
    return held;
  }

  /** Whether a reservation by `peer` is refused (the connection gater's answer). */
  deny(peer: PeerId): boolean {
    const node = this.#node;
    if (node === undefined) return false;
    const connection = node.getConnections(peer)[0];
    if (connection === undefined) return false;
    const ip = ipOf(connection.remoteAddr.toString());
    const held = this.#heldBy(ip, peer);
    if (held < this.#maxPerIp) return false;
    this.#logger.warn(
      `reservation of ${
        truncated(peer.toString())
      } refused: ${ip} holds ${held} (limit ${this.#maxPerIp} per IP)`,
    );
    return true;
  }

  #reservations(): Iterable<[PeerId, StoredReservation]> {
    const map = this.#node?.services.relay.reservations;
    return (map?.entries() ?? []) as Iterable<[PeerId, StoredReservation]>;
  }

  #free(peer: PeerId): void {
    const relay = this.#node?.services.relay;
    const reservation = relay?.reservations.get(peer) as
      | StoredReservation
      | undefined;
    if (relay === undefined || reservation === undefined) return;
    // Its timer would otherwise delete a later reservation of the same peer.
    reservation.signal.clear();
    (relay as unknown as ServerInternals).reservationStore.removeReservation(
      peer,
    );
    this.#logger.info(
      `reservation of ${peer} freed: its connection closed (${relay.reservations.size} held)`,
    );
  }
}
