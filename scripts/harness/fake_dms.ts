/**
 * The DMS relay-booking endpoints of the fake Auki services (spec genb.md
 * 5): one single-slot booking per peer, its slot `starting` at creation and
 * `ready` at the next poll with the first relay provider the test gave;
 * a reported failure moves the slot to the next provider. Bookings,
 * renewals, failure reports and deletions are recorded.
 *
 * @module
 */

/** A relay provider a slot can be assigned to. */
export interface FakeProvider {
  /** The relay's peer id. */
  peerId: string;
  /** Its base addresses. */
  bases: string[];
  /** The circuit limits the slot states. */
  limits: { duration_seconds: number; data_bytes_per_direction: number };
}

/** A reported `reservation-failed`. */
export interface FailureReport {
  /** The booking. */
  booking_id: string;
  /** The slot. */
  slot_id: string;
  /** Its assignment. */
  assignment_id: string;
  /** Its epoch. */
  reservation_epoch: string;
  /** Why. */
  reason: string;
}

interface Booking {
  peerId: string;
  snapshot: Record<string, unknown> & { booking_id: string; state: string };
  provider: number;
  slot: Record<string, unknown> & { slot_id: string; state: string };
}

/** A JSON response (not cached), as the fake services answer. */
export function json(
  body: unknown,
  status = 200,
  headers: HeadersInit = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

const error = (status: number, code: string) =>
  json({ error: code.replaceAll("_", " "), code }, status);

/** The fake DMS. */
export class FakeDms {
  /** Relay providers, assigned in order. */
  providers: FakeProvider[] = [];
  /** Length of a booking's authority from each create or renew, seconds. */
  authorityS = 300;
  /** Every booking created, by id. */
  readonly bookings = new Map<string, Booking>();
  /** Every failure report. */
  readonly failures: FailureReport[] = [];
  /** Ids of the bookings deleted. */
  readonly deleted: string[] = [];
  /** Idempotency keys seen on create. */
  readonly idempotencyKeys: string[] = [];
  /** How many renewals. */
  renewals = 0;

  /** The active booking of `peerId`. */
  activeOf(peerId: string): Booking | undefined {
    return [...this.bookings.values()].find((b) =>
      b.peerId === peerId && b.snapshot.state === "active"
    );
  }

  /** Answers a `/relay-bookings...` request of `peerId` (undefined: no valid bearer). */
  async handle(
    request: Request,
    path: string,
    peerId: string | undefined,
  ): Promise<Response> {
    if (peerId === undefined) return error(401, "unauthorized");
    const active = this.activeOf(peerId);
    if (path === "/relay-bookings" && request.method === "POST") {
      const key = request.headers.get("idempotency-key");
      if (!key) return error(400, "missing_idempotency_key");
      const body = await request.json();
      const replay = [...this.bookings.values()].find((b) =>
        b.snapshot.idempotency_key === key
      );
      if (replay !== undefined) return this.#created(replay, 200);
      if (active !== undefined) {
        return json(
          { error: "active booking", code: "active_booking_conflict" },
          409,
          { location: "/relay-bookings/active", "retry-after": "1" },
        );
      }
      this.idempotencyKeys.push(key);
      return this.#created(this.#create(peerId, key, body), 201);
    }
    if (path === "/relay-bookings/active" && request.method === "GET") {
      if (active === undefined) {
        return new Response(null, {
          status: 204,
          headers: { "cache-control": "no-store" },
        });
      }
      if (active.slot.state !== "ready") this.#assign(active);
      return json(this.#view(active));
    }
    const match = /^\/relay-bookings\/([^/]+)(\/renew|\/reservation-failed)?$/
      .exec(path);
    const booking = match && this.bookings.get(match[1]);
    if (!booking || booking.peerId !== peerId) return error(404, "not_found");
    if (booking.snapshot.state !== "active") {
      return error(410, "authority_ended");
    }
    if (match![2] === "/renew" && request.method === "POST") {
      this.renewals++;
      booking.snapshot.authority_expires_at = this.#authorityEnd();
      return json(this.#view(booking));
    }
    if (match![2] === "/reservation-failed" && request.method === "POST") {
      const report = await request.json();
      this.failures.push({
        booking_id: booking.snapshot.booking_id,
        ...report,
      });
      if (
        report.slot_id !== booking.slot.slot_id ||
        report.assignment_id !== booking.slot.assignment_id
      ) return error(409, "stale_fence");
      booking.provider++;
      booking.slot = { ...this.#slotBase(booking), state: "reassigning" };
      return json(this.#view(booking));
    }
    if (match![2] === undefined && request.method === "DELETE") {
      booking.snapshot.state = "canceled";
      booking.snapshot.ended_at = new Date().toISOString();
      this.deleted.push(booking.snapshot.booking_id);
      return new Response(null, {
        status: 204,
        headers: { "cache-control": "no-store" },
      });
    }
    return error(400, "invalid_request");
  }

  #authorityEnd(): string {
    return new Date(Date.now() + this.authorityS * 1000).toISOString();
  }

  #create(
    peerId: string,
    key: string,
    body: {
      mode: string;
      requested_duration_seconds: number;
      relay_count: number;
    },
  ): Booking {
    const now = new Date();
    const id = crypto.randomUUID();
    const booking: Booking = {
      peerId,
      provider: 0,
      snapshot: {
        booking_id: id,
        idempotency_key: key,
        mode: body.mode,
        state: "active",
        relay_count: body.relay_count,
        requested_duration_seconds: body.requested_duration_seconds,
        requested_until: new Date(
          now.getTime() + body.requested_duration_seconds * 1000,
        ).toISOString(),
        authority_expires_at: this.#authorityEnd(),
        created_at: now.toISOString(),
        ended_at: null,
      },
      slot: { slot_id: "", state: "starting" },
    };
    booking.slot = { ...this.#slotBase(booking), state: "starting" };
    this.bookings.set(id, booking);
    return booking;
  }

  #slotBase(booking: Booking) {
    return {
      slot_id: booking.slot.slot_id || crypto.randomUUID(),
      slot_index: 0,
      assignment_id: null,
      reservation_epoch: null,
      provider_peer_id: null,
      provider_base_addresses: null,
      limits: null,
      provider_lease_expires_at: null,
      recovery_expires_at: null,
    };
  }

  /** Makes the slot ready with the booking's current provider, if any is left. */
  #assign(booking: Booking): void {
    const provider = this.providers[booking.provider];
    if (provider === undefined) {
      booking.slot.state = "queued";
      return;
    }
    booking.slot = {
      ...this.#slotBase(booking),
      state: "ready",
      assignment_id: crypto.randomUUID(),
      reservation_epoch: crypto.randomUUID(),
      provider_peer_id: provider.peerId,
      provider_base_addresses: provider.bases,
      limits: provider.limits,
      provider_lease_expires_at: booking.snapshot.authority_expires_at,
    };
  }

  #view(booking: Booking): Record<string, unknown> {
    const { idempotency_key: _, ...snapshot } = booking.snapshot;
    const ready = booking.slot.state === "ready" ? 1 : 0;
    return {
      ...snapshot,
      assigned_count: booking.slot.assignment_id ? 1 : 0,
      provider_ready_count: ready,
      unfilled_count: ["queued", "reassigning"].includes(booking.slot.state)
        ? 1
        : 0,
      slots: [booking.slot],
    };
  }

  #created(booking: Booking, status: number): Response {
    return json(this.#view(booking), status, {
      location: `/relay-bookings/${booking.snapshot.booking_id}`,
    });
  }
}
