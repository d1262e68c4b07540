/**
 * The DMS relay booking as `auki-edge status`, the status file, the ready
 * file and `/metrics` show it: the booking, its state (booking, waiting
 * for a slot, reserved, failed with the reason), the relay, the circuit
 * address and the relay's lease.
 *
 * @module
 */
import type { BookingSnapshot, RelaySlot } from "./relay_booking_client.ts";
import { type HeldSlot, selectBase } from "./slot_reservation.ts";

/** The booking states, in the order `/metrics` lists them. */
export const BOOKING_STATES = [
  "booking",
  "waiting_for_slot",
  "reserved",
  "failed",
] as const;

/** One of {@link BOOKING_STATES}. */
export type BookingState = typeof BOOKING_STATES[number];

/** The relay booking's state now. */
export interface RelayBookingStatus {
  /**
   * `booking` (no booking yet), `waiting_for_slot` (booked, no slot
   * reserved yet), `reserved`, or `failed` (the last attempt failed and no
   * slot is held; retried).
   */
  state: BookingState;
  /** The DMS booking, once made. */
  booking_id: string | null;
  /** The relay's address (ending in `/p2p/<relay>`), once DMS assigned one. */
  relay: string | null;
  /** The circuit address advertised, while reserved. */
  circuit: string | null;
  /** When the relay's lease on the slot ends (DMS `provider_lease_expires_at`). */
  lease_expires_at: string | null;
  /** When the booking's authority ends (it is renewed halfway). */
  authority_expires_at: string | null;
  /** Why the last attempt failed, until one succeeds. */
  error?: string;
  /** When the next attempt is due after a failure, ISO 8601. */
  retry_at?: string;
}

/** What the booking service knows. */
export interface BookingFacts {
  /** The active booking. */
  booking: BookingSnapshot | undefined;
  /** The reservation held. */
  held: HeldSlot | undefined;
  /** The ready slot not held yet. */
  ready: RelaySlot | undefined;
  /** The last failure, until a round succeeds. */
  error: string | undefined;
  /** When the next attempt is due after it, ms since the epoch. */
  retryAt: number;
}

/** The relay a slot names: its selected base, or just its provider. */
function relayOf(slot: RelaySlot): string | null {
  try {
    return selectBase(slot).toString();
  } catch {
    return slot.provider_peer_id ?? null;
  }
}

/** The status of a booking service knowing `facts`. */
export function bookingStatus(facts: BookingFacts): RelayBookingStatus {
  const { booking, held, ready, error } = facts;
  const slot = held === undefined
    ? ready
    : booking?.slots.find((s) => s.slot_id === held.slotId);
  const state: BookingState = held !== undefined
    ? "reserved"
    : error !== undefined
    ? "failed"
    : booking === undefined
    ? "booking"
    : "waiting_for_slot";
  return {
    state,
    booking_id: booking?.booking_id ?? null,
    relay: held?.base ?? (slot === undefined ? null : relayOf(slot)),
    circuit: held?.circuit ?? null,
    lease_expires_at: slot?.provider_lease_expires_at ?? null,
    authority_expires_at: booking?.authority_expires_at ?? null,
    ...(error === undefined ? {} : { error }),
    ...(error !== undefined && facts.retryAt > Date.now()
      ? { retry_at: new Date(facts.retryAt).toISOString() }
      : {}),
  };
}
