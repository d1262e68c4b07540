/**
 * Reserving one booked relay slot (spec genb.md 5): pick the slot's TCP
 * base (lexicographically first), dial it, reserve with CRv2 and require
 * the relay's circuit limits to be the slot's, then let the relay
 * transport hold the reservation (`listen <base>/p2p-circuit`). Each
 * failure carries the reason DMS takes in `reservation-failed`.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { errorMessage } from "../../core/logging.ts";
import { isTcpCircuit } from "../cluster/advertised.ts";
import { HOP_STATUS, hopReserve } from "../relay/hop_reserve.ts";
import { relayListen } from "../relay/reservations.ts";
import type { RelaySlot, ReservationFailure } from "./relay_booking_client.ts";

/** Bound of the dial, the CRv2 reservation and the transport's, each, ms. */
export const SLOT_STEP_TIMEOUT_MS = 10_000;

/** A TCP base: `ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<relay>]`. */
const TCP_BASE = /^\/(ip4|ip6|dns|dns4|dns6)\/[^/]+\/tcp\/\d+(\/p2p\/[^/]+)?$/;

/** A slot that could not be reserved, and why (as DMS takes it). */
export class SlotReservationError extends Error {
  /** Creates the error. */
  constructor(readonly reason: ReservationFailure, message: string) {
    super(message);
    this.name = "SlotReservationError";
  }
}

/** A slot this peer holds a reservation for. */
export interface HeldSlot {
  /** The DMS slot. */
  slotId: string;
  /** Its assignment. */
  assignmentId: string;
  /** Its reservation epoch. */
  epoch: string;
  /** The relay's peer id. */
  relayPeerId: string;
  /** The base dialed, ending in `/p2p/<relay>`. */
  base: string;
  /** The circuit route advertised: `<base>/p2p-circuit/p2p/<self>`. */
  circuit: string;
}

/** Whether `held` is the reservation of the slot's current assignment. */
export function sameAssignment(held: HeldSlot, slot: RelaySlot): boolean {
  return held.slotId === slot.slot_id &&
    held.assignmentId === slot.assignment_id &&
    held.epoch === slot.reservation_epoch;
}

/** Whether the node still holds `held`'s circuit. */
export function stillHeld(node: Libp2p, held: HeldSlot): boolean {
  return node.getMultiaddrs().some((a) => a.toString() === held.circuit);
}

/**
 * The base to dial: the lexicographically first TCP one, ending in the
 * slot's provider peer id. Throws `address_mismatch` when there is none or
 * a base names another peer.
 */
export function selectBase(slot: RelaySlot): Multiaddr {
  const provider = slot.provider_peer_id ?? "";
  const tcp = (slot.provider_base_addresses ?? []).filter((b) =>
    TCP_BASE.test(b)
  ).sort();
  if (provider === "" || tcp.length === 0) {
    throw new SlotReservationError(
      "address_mismatch",
      `slot ${slot.slot_id} has no TCP base address of a provider peer (${
        (slot.provider_base_addresses ?? []).join(", ") || "none"
      })`,
    );
  }
  const base = tcp[0];
  const named = /\/p2p\/([^/]+)$/.exec(base)?.[1];
  if (named !== undefined && named !== provider) {
    throw new SlotReservationError(
      "address_mismatch",
      `slot ${slot.slot_id}: base ${base} names another peer than provider ${provider}`,
    );
  }
  return multiaddr(named === undefined ? `${base}/p2p/${provider}` : base);
}

/**
 * Reserves `slot` (a `ready` slot) on `node`, each step bounded and ended
 * by `signal`; throws {@link SlotReservationError}.
 */
export async function reserveSlot(
  node: Libp2p,
  slot: RelaySlot,
  signal?: AbortSignal,
): Promise<HeldSlot> {
  const bounded = () =>
    AbortSignal.any([
      AbortSignal.timeout(SLOT_STEP_TIMEOUT_MS),
      ...(signal ? [signal] : []),
    ]);
  const base = selectBase(slot);
  const provider = slot.provider_peer_id!;
  const fail = async (reason: ReservationFailure, message: string) => {
    await node.hangUp(base).catch(() => {});
    return new SlotReservationError(reason, message);
  };
  try {
    await node.dial(base, { signal: bounded() });
  } catch (error) {
    throw new SlotReservationError(
      "dial_failed",
      `cannot dial relay ${base}: ${errorMessage(error)}`,
    );
  }
  let answer;
  try {
    answer = await hopReserve(node, base, bounded());
  } catch (error) {
    throw await fail(
      "reservation_denied",
      `relay ${base} did not reserve: ${errorMessage(error)}`,
    );
  }
  if (answer.status !== HOP_STATUS.OK) {
    throw await fail(
      "reservation_denied",
      `relay ${base} refused the reservation (HOP status ${answer.status})`,
    );
  }
  const wanted = slot.limits!;
  if (
    answer.limit?.duration !== wanted.duration_seconds ||
    answer.limit?.data !== BigInt(wanted.data_bytes_per_direction)
  ) {
    throw await fail(
      "limit_mismatch",
      `relay ${base} limits circuits to ${
        answer.limit?.duration ?? "unlimited"
      } s / ${
        answer.limit?.data ?? "unlimited"
      } bytes, the slot to ${wanted.duration_seconds} s / ${wanted.data_bytes_per_direction} bytes`,
    );
  }
  try {
    const listening = bounded();
    const reserving = relayListen(node, base);
    // A late failure after the bound must not go unhandled.
    reserving.catch(() => {});
    await Promise.race([
      reserving,
      new Promise((_, reject) => {
        listening.addEventListener(
          "abort",
          () => reject(new Error("no reservation in time")),
          { once: true },
        );
      }),
    ]);
  } catch (error) {
    throw await fail(
      "reservation_denied",
      `relay ${base} did not keep the reservation: ${errorMessage(error)}`,
    );
  }
  const wantedCircuit = `${base}/p2p-circuit/p2p/${node.peerId}`;
  const circuits = node.getMultiaddrs().map(String).filter((a) =>
    isTcpCircuit(a) && a.includes(`/p2p/${provider}/p2p-circuit/`)
  );
  const circuit = circuits.includes(wantedCircuit)
    ? wantedCircuit
    : circuits[0];
  if (circuit === undefined) {
    throw await fail(
      "address_mismatch",
      `relay ${base} gave no circuit address for its reservation`,
    );
  }
  return {
    slotId: slot.slot_id,
    assignmentId: slot.assignment_id ?? "",
    epoch: slot.reservation_epoch ?? "",
    relayPeerId: provider,
    base: base.toString(),
    circuit,
  };
}
