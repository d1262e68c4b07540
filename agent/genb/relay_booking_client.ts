/**
 * The DMS relay-booking calls (spec genb.md 5; shapes as in the SDK's
 * `core/auki-relay-booking`): create a booking, read the active one, renew
 * it, report a failed reservation, delete it. The bearer is the peer's
 * p2p-access token, renewed and the call retried once on a 401 (genb.md
 * 2.6).
 *
 * @module
 */
import { z } from "zod";
import { AuthHttpError, type Reply, replyJson } from "./auth_http.ts";
import { type Bearer, bearerCall } from "./bearer_call.ts";

/** Longest booking DMS accepts, seconds. */
export const MAX_BOOKING_S = 86_400;

/** Why a slot could not be reserved, as DMS takes it. */
export type ReservationFailure =
  | "dial_failed"
  | "reservation_denied"
  | "address_mismatch"
  | "limit_mismatch"
  | "reservation_lost";

/** One relay slot of a booking (unknown fields ignored). */
export const RelaySlot = z.object({
  slot_id: z.string().min(1),
  slot_index: z.number().int().min(0),
  state: z.enum([
    "queued",
    "starting",
    "ready",
    "recovering",
    "reassigning",
    "ended",
  ]),
  assignment_id: z.string().nullish(),
  reservation_epoch: z.string().nullish(),
  provider_peer_id: z.string().nullish(),
  provider_base_addresses: z.array(z.string()).nullish(),
  limits: z.object({
    duration_seconds: z.number().int().positive(),
    data_bytes_per_direction: z.number().int().positive(),
  }).nullish(),
  provider_lease_expires_at: z.string().nullish(),
});
/** One relay slot. */
export type RelaySlot = z.infer<typeof RelaySlot>;

/** A booking as DMS answers it (unknown fields ignored). */
export const BookingSnapshot = z.object({
  booking_id: z.string().min(1),
  mode: z.string(),
  state: z.enum(["active", "canceled", "expired", "failed"]),
  relay_count: z.number().int(),
  requested_duration_seconds: z.number().int(),
  requested_until: z.string(),
  authority_expires_at: z.string().refine(
    (s) => !Number.isNaN(Date.parse(s)),
    "an RFC 3339 time",
  ),
  slots: z.array(RelaySlot),
});
/** A booking. */
export type BookingSnapshot = z.infer<typeof BookingSnapshot>;

/** The body of a booking request. */
export interface BookingRequest {
  /** Always `public` (auki-edge books no dedicated relays). */
  mode: "public";
  /** 300..86400. */
  requested_duration_seconds: number;
  /** 1..3. */
  relay_count: number;
}

/** The DMS relay-booking endpoints of one DMS, with the token of `bearer`. */
export class RelayBookingClient {
  readonly #dms: string;
  readonly #bearer: Bearer;

  /** A client of `dms` (a base URL ending in `/`). */
  constructor(dms: string, bearer: Bearer) {
    this.#dms = dms;
    this.#bearer = bearer;
  }

  #call(method: string, path: string, init: {
    body?: unknown;
    headers?: Record<string, string>;
  } = {}): Promise<Reply> {
    return bearerCall({
      service: "DMS",
      method,
      url: `${this.#dms}${path}`,
      ...init,
    }, this.#bearer);
  }

  /**
   * Creates a booking (201, or 200 replaying the same `idempotencyKey`);
   * the answer must match the request and name its booking in `Location`.
   */
  async create(
    idempotencyKey: string,
    request: BookingRequest,
  ): Promise<BookingSnapshot> {
    const reply = await this.#call("POST", "relay-bookings", {
      body: request,
      headers: { "idempotency-key": idempotencyKey },
    });
    const where = "DMS relay-bookings";
    const booking = replyJson(reply, where, BookingSnapshot.parse);
    const expected = `${
      new URL(this.#dms).pathname
    }relay-bookings/${booking.booking_id}`;
    const location = reply.headers.get("location");
    const locationPath = location === null
      ? undefined
      : new URL(location, this.#dms).pathname;
    if (
      (reply.status !== 201 && reply.status !== 200) ||
      locationPath !== expected ||
      booking.mode !== request.mode ||
      booking.relay_count !== request.relay_count ||
      booking.requested_duration_seconds !==
        request.requested_duration_seconds
    ) {
      throw new AuthHttpError(
        "bad_response",
        `${where}: HTTP ${reply.status}, Location ${location}: the answer does not match the booking requested`,
      );
    }
    return booking;
  }

  /** The active booking, or undefined (204). */
  async active(): Promise<BookingSnapshot | undefined> {
    const reply = await this.#call("GET", "relay-bookings/active");
    if (reply.status === 204) return undefined;
    return replyJson(reply, "DMS relay-bookings/active", BookingSnapshot.parse);
  }

  /** Renews a booking's authority. */
  async renew(bookingId: string): Promise<BookingSnapshot> {
    const path = `relay-bookings/${bookingId}/renew`;
    return this.#same(bookingId, path, await this.#call("POST", path));
  }

  /** Reports a slot this peer could not reserve (or lost). */
  async reservationFailed(
    bookingId: string,
    slot: RelaySlot,
    reason: ReservationFailure,
  ): Promise<BookingSnapshot> {
    const path = `relay-bookings/${bookingId}/reservation-failed`;
    const reply = await this.#call("POST", path, {
      body: {
        slot_id: slot.slot_id,
        assignment_id: slot.assignment_id,
        reservation_epoch: slot.reservation_epoch,
        reason,
      },
    });
    return this.#same(bookingId, path, reply);
  }

  /** Deletes a booking (204). */
  async remove(bookingId: string): Promise<void> {
    await this.#call("DELETE", `relay-bookings/${bookingId}`);
  }

  #same(bookingId: string, path: string, reply: Reply): BookingSnapshot {
    const booking = replyJson(reply, `DMS ${path}`, BookingSnapshot.parse);
    if (booking.booking_id !== bookingId) {
      throw new AuthHttpError(
        "bad_response",
        `DMS ${path}: the answer is booking ${booking.booking_id}`,
      );
    }
    return booking;
  }
}
