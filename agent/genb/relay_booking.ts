/**
 * DMS relay booking (spec genb.md 5 step 3), as a service: book a public
 * relay slot, poll until it is `ready`, reserve it (the circuit route then
 * reaches the DDS advertisement with the node's addresses), renew the
 * booking halfway to its authority's end, report slots that cannot be
 * reserved or are lost, and delete the booking at shutdown. Failures are
 * retried with backoff; nothing stops the agent. Its state is shown by
 * `auki-edge status` ({@link RelayBookingStatus}), and a `change` event
 * tells when the circuit held changes.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { Backoff, sleep } from "../../core/backoff.ts";
import { errorMessage, type Logger } from "../../core/logging.ts";
import { AuthHttpError } from "./auth_http.ts";
import type { Authority } from "./authority.ts";
import type { RenewToken } from "./bearer_call.ts";
import { bookingStatus, type RelayBookingStatus } from "./booking_status.ts";
import {
  type BookingSnapshot,
  MAX_BOOKING_S,
  RelayBookingClient,
  type RelaySlot,
} from "./relay_booking_client.ts";
import {
  type HeldSlot,
  reserveSlot,
  sameAssignment,
  SlotReservationError,
  stillHeld,
} from "./slot_reservation.ts";

/** The pace of the booking loop. */
export interface BookingTiming {
  /** How often a booking without a reserved slot is polled, ms. */
  pollMs: number;
  /** How often a held reservation is checked, ms. */
  checkMs: number;
  /** First retry delay after a failure, ms. */
  minBackoffMs: number;
  /** Longest retry delay, ms. */
  maxBackoffMs: number;
}

/**
 * How long the ready file waits for the first booked circuit before it is
 * written without it (decision 110): well inside systemd's 90 s start
 * timeout, so a DMS outage does not make the service manager restart the
 * agent (and its booking) over and over.
 */
export const FIRST_CIRCUIT_WAIT_MS = 30_000;

/** Default pace (decision 105). */
export const BOOKING_TIMING: BookingTiming = {
  pollMs: 2_000,
  checkMs: 1_000,
  minBackoffMs: 1_000,
  maxBackoffMs: 60_000,
};

/** What the booking service needs. */
export interface RelayBookingInit {
  /** DMS base URL (ending in `/`). */
  dms: string;
  /** The peer's domain and token (the DMS bearer). */
  authority: Authority;
  /** Renews a token DMS refused (401), for one retry. */
  renew?: RenewToken;
  /** Booking length asked for, seconds (300..86400). */
  durationS?: number;
  /** Loop pace. */
  timing?: Partial<BookingTiming>;
}

/** The running booking; dispatches `change` when the circuit held changes. */
export interface RelayBookingService extends EventTarget {
  /** Starts booking (once a token is installed). */
  start(): void;
  /** Stops, and deletes the booking. */
  stop(): Promise<void>;
  /** The reservation held, if any. */
  held(): HeldSlot | undefined;
  /** The booking's state now. */
  status(): RelayBookingStatus;
  /**
   * Resolves true once a booked circuit is held, or false after
   * `timeoutMs` without one (or when stopped first); booking goes on.
   */
  firstCircuit(timeoutMs: number): Promise<boolean>;
}

/** When to renew: halfway to the authority's end, at least 1 s from now. */
function renewDelayMs(booking: BookingSnapshot, nowMs: number): number {
  const end = Date.parse(booking.authority_expires_at);
  return Math.max(1_000, (end - nowMs) / 2);
}

/** The first `ready` slot of a booking. */
function readySlot(booking: BookingSnapshot): RelaySlot | undefined {
  return [...booking.slots].sort((a, b) => a.slot_index - b.slot_index)
    .find((s) => s.state === "ready");
}

/** Whether a DMS error says the booking is gone (404, 410). */
function gone(error: unknown): boolean {
  return error instanceof AuthHttpError &&
    (error.status === 404 || error.status === 410);
}

/** Builds the booking service of `node`. */
export function relayBooking(
  init: RelayBookingInit,
  components: { node: Libp2p; logger: Logger },
): RelayBookingService {
  const { node, logger } = components;
  const timing = { ...BOOKING_TIMING, ...init.timing };
  const client = new RelayBookingClient(init.dms, {
    token: () => init.authority.localToken(),
    renew: init.renew,
  });
  const request = {
    mode: "public",
    requested_duration_seconds: init.durationS ?? MAX_BOOKING_S,
    relay_count: 1,
  } as const;
  const stop = new AbortController();
  const backoff = new Backoff(timing.minBackoffMs, timing.maxBackoffMs);
  const events = new EventTarget();
  const first = Promise.withResolvers<boolean>();
  let booking: BookingSnapshot | undefined;
  let held: HeldSlot | undefined;
  let lastError: string | undefined;
  let idempotencyKey = crypto.randomUUID();
  let renewAt = 0;
  let loop: Promise<void> | undefined;

  const adopt = (next: BookingSnapshot | undefined) => {
    if (next === undefined || next.state !== "active") {
      if (booking !== undefined) {
        logger.warn(
          `relay booking ${booking.booking_id} ended (${
            next?.state ?? "no active booking"
          }); booking again`,
        );
      }
      drop();
      booking = undefined;
      return;
    }
    if (booking?.booking_id !== next.booking_id) {
      logger.info(
        `relay booking ${next.booking_id} until ${next.requested_until}`,
      );
    }
    booking = next;
    renewAt = Date.now() + renewDelayMs(next, Date.now());
  };

  const hold = (next: HeldSlot | undefined) => {
    if (next?.circuit === held?.circuit) {
      held = next;
      return;
    }
    held = next;
    if (next !== undefined) first.resolve(true);
    events.dispatchEvent(new Event("change"));
  };

  const drop = () => {
    if (held === undefined) return;
    const relay = multiaddr(held.base);
    hold(undefined);
    node.hangUp(relay).catch(() => {});
  };

  const book = async () => {
    try {
      adopt(await client.create(idempotencyKey, request));
    } catch (error) {
      // 409: a booking is active already (this peer's, from before a restart).
      if (!(error instanceof AuthHttpError && error.status === 409)) {
        throw error;
      }
      const active = await client.active();
      if (active === undefined) throw error;
      adopt(active);
    }
    idempotencyKey = crypto.randomUUID();
  };

  const report = async (slot: RelaySlot, error: SlotReservationError) => {
    logger.warn(
      `relay slot ${slot.slot_id}: ${error.reason}: ${error.message}; reporting it to DMS`,
    );
    adopt(
      await client.reservationFailed(booking!.booking_id, slot, error.reason),
    );
  };

  /** One round; returns the delay before the next. */
  const step = async (): Promise<number> => {
    if (booking === undefined) {
      await book();
    } else if (held !== undefined && !stillHeld(node, held)) {
      const lost = booking.slots.find((s) => s.slot_id === held!.slotId);
      const base = held.base;
      hold(undefined);
      if (lost !== undefined) {
        await report(
          lost,
          new SlotReservationError(
            "reservation_lost",
            `the reservation on ${base} is gone`,
          ),
        );
      }
    } else if (Date.now() >= renewAt) {
      try {
        adopt(await client.renew(booking.booking_id));
      } catch (error) {
        if (!gone(error)) throw error;
        adopt(undefined);
      }
    } else if (held === undefined) {
      adopt(await client.active());
    }
    if (booking === undefined) return timing.pollMs;
    const slot = readySlot(booking);
    if (
      held !== undefined && (slot === undefined || !sameAssignment(held, slot))
    ) {
      logger.info(
        `relay slot ${held.slotId} is no longer assigned; releasing ${held.base}`,
      );
      drop();
    }
    if (held === undefined && slot !== undefined) {
      try {
        hold(await reserveSlot(node, slot, stop.signal));
      } catch (error) {
        if (!(error instanceof SlotReservationError)) throw error;
        await report(slot, error);
        throw error;
      }
      logger.info(
        `relay slot ${slot.slot_id} reserved on ${held!.base} (limits ${
          slot.limits!.duration_seconds
        } s, ${
          slot.limits!.data_bytes_per_direction
        } bytes; lease until ${slot.provider_lease_expires_at}); advertising ${
          held!.circuit
        }`,
      );
    }
    return Math.min(
      held === undefined ? timing.pollMs : timing.checkMs,
      Math.max(0, renewAt - Date.now()),
    );
  };

  const run = async () => {
    while (!stop.signal.aborted) {
      let delay: number;
      try {
        delay = await step();
        backoff.reset();
        lastError = undefined;
      } catch (error) {
        delay = backoff.fail();
        lastError = error instanceof SlotReservationError
          ? `${error.reason}: ${error.message}`
          : errorMessage(error);
        // A slot that could not be reserved was logged when reported.
        if (error instanceof SlotReservationError) {
          await sleep(delay, stop.signal);
          continue;
        }
        logger.warn(
          `relay booking: ${errorMessage(error)}; retrying in ${
            (delay / 1000).toFixed(0)
          } s (serving${held ? ` through ${held.base}` : " directly"})`,
        );
      }
      await sleep(delay, stop.signal);
    }
  };

  return Object.assign(events, {
    start() {
      loop ??= run();
    },
    async stop() {
      stop.abort();
      first.resolve(false);
      await loop;
      if (booking === undefined) return;
      try {
        await client.remove(booking.booking_id);
        logger.info(`relay booking ${booking.booking_id} deleted`);
      } catch (error) {
        logger.warn(
          `deleting relay booking ${booking.booking_id}: ${
            errorMessage(error)
          }`,
        );
      }
    },
    held: () => held,
    status: () =>
      bookingStatus({
        booking,
        held,
        ready: booking && readySlot(booking),
        error: lastError,
        retryAt: backoff.retryAt,
      }),
    async firstCircuit(timeoutMs: number): Promise<boolean> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([first.promise, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  });
}
