/**
 * Circuit Relay v2 reservations on the configured relays (spec cluster.md
 * section 5): reserved at start without blocking it, renewed by the relay
 * transport before they expire, and made again with backoff when a relay
 * goes away. The agent holds one on every configured relay it can reach, so
 * losing one relay leaves the others' circuit addresses in place.
 *
 * @module
 */
import type { Libp2p, PeerId } from "@libp2p/interface";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { isTcpCircuit } from "../cluster/advertised.ts";
import { Backoff } from "../../core/backoff.ts";
import { errorMessage, type Logger } from "../../core/logging.ts";

/**
 * How long the first cluster bootstrap and the ready file wait for a relay
 * reservation before going on with the direct addresses only (the circuit
 * addresses are advertised once reserved); the Rust reservation timeout.
 */
export const FIRST_RESERVATION_WAIT_MS = 10_000;

const CHECK_INTERVAL_MS = 1_000;
const RESERVE_TIMEOUT_MS = 15_000;
const RETRY_MIN_MS = 1_000;
/** Short, so a relay that restarts is used again within seconds. */
const RETRY_MAX_MS = 5_000;

/** One relay's reservation state, as `auki-edge status` shows it. */
export interface RelayState {
  /** The relay's address, ending in `/p2p/<relay id>`. */
  relay: string;
  /** `reserved`, `reserving`, or `waiting` to retry. */
  state: "reserved" | "reserving" | "waiting";
  /** The circuit addresses this reservation gives (TCP-based). */
  circuits: string[];
  /** When the reservation expires (it is renewed before), ISO 8601. */
  expires_at?: string;
  /** Why the last attempt failed. */
  error?: string;
  /** When the next attempt is due, ISO 8601. */
  retry_at?: string;
}

interface Internals {
  components: {
    transportManager: {
      listen(addrs: Multiaddr[]): Promise<void>;
      getTransports(): Array<{
        [Symbol.toStringTag]: string;
        reservationStore?: {
          getReservation(peer: PeerId): { expire: bigint } | undefined;
        };
      }>;
    };
  };
}

/**
 * Reserves a circuit on `relay` through the node's relay transport (which
 * then keeps and renews it): listens on `<relay>/p2p-circuit`.
 */
export function relayListen(node: Libp2p, relay: Multiaddr): Promise<void> {
  return (node as unknown as Internals).components.transportManager.listen([
    relay.encapsulate("/p2p-circuit"),
  ]);
}

interface Tracked {
  address: Multiaddr;
  peerId: string;
  state: RelayState["state"];
  error?: string;
  backoff: Backoff;
}

/**
 * Keeps reservations on a list of relays; dispatches a `change` event when
 * the circuit addresses held change.
 */
export class RelayReservations extends EventTarget {
  readonly #node: Libp2p;
  readonly #logger: Logger;
  readonly #relays: Tracked[];
  #timer: ReturnType<typeof setInterval> | undefined;
  #circuits = "";
  #busy = false;
  readonly #first = Promise.withResolvers<boolean>();

  /** Reservations on `relays` (multiaddrs with `/p2p/<relay id>`). */
  constructor(node: Libp2p, relays: string[], logger: Logger) {
    super();
    this.#node = node;
    this.#logger = logger;
    this.#relays = relays.map((text) => {
      const address = multiaddr(text);
      const peerId = /\/p2p\/([^/]+)$/.exec(address.toString())?.[1];
      if (peerId === undefined) {
        throw new Error(`relay address ${text} has no /p2p/<relay peer id>`);
      }
      return {
        address,
        peerId,
        state: "waiting",
        backoff: new Backoff(RETRY_MIN_MS, RETRY_MAX_MS),
      };
    });
  }

  /** Starts reserving, checking every second. */
  start(): void {
    this.#check();
    this.#timer = setInterval(() => this.#check(), CHECK_INTERVAL_MS);
  }

  /** Stops reserving (the node's stop ends the reservations). */
  stop(): void {
    clearInterval(this.#timer);
    this.#first.resolve(false);
  }

  /**
   * Resolves true once any relay holds a reservation, or false after
   * `timeoutMs` without one (reserving goes on).
   */
  async firstReservation(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.#first.promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The relays' peer ids. */
  peerIds(): Set<string> {
    return new Set(this.#relays.map((r) => r.peerId));
  }

  /** TCP-based circuit addresses of the reservations held, ending in `/p2p/<self>`. */
  circuitAddrs(): string[] {
    return this.#node.getMultiaddrs().map(String).filter(isTcpCircuit);
  }

  /** Every relay's state. */
  status(): RelayState[] {
    const circuits = this.circuitAddrs();
    return this.#relays.map((r) => {
      const mine = circuits.filter((c) =>
        c.includes(`/p2p/${r.peerId}/p2p-circuit`)
      );
      const expire = mine.length > 0 ? this.#expiry(r.peerId) : undefined;
      return {
        relay: r.address.toString(),
        state: r.state,
        circuits: mine,
        ...(expire ? { expires_at: expire } : {}),
        ...(r.error && r.state === "waiting" ? { error: r.error } : {}),
        ...(r.state === "waiting" && !r.backoff.due()
          ? { retry_at: new Date(r.backoff.retryAt).toISOString() }
          : {}),
      };
    });
  }

  #expiry(peerId: string): string | undefined {
    const transport = (this.#node as unknown as Internals).components
      .transportManager.getTransports()
      .find((t) =>
        t[Symbol.toStringTag] === "@libp2p/circuit-relay-v2-transport"
      );
    const peer = this.#node.getConnections().find((c) =>
      c.remotePeer.toString() === peerId
    )?.remotePeer;
    const expire = peer &&
      transport?.reservationStore?.getReservation(peer)?.expire;
    return expire ? new Date(Number(expire) * 1000).toISOString() : undefined;
  }

  #check(): void {
    const circuits = this.circuitAddrs();
    for (const relay of this.#relays) {
      const held = circuits.some((c) =>
        c.includes(`/p2p/${relay.peerId}/p2p-circuit`)
      );
      if (held) {
        if (relay.state !== "reserved") {
          this.#logger.info(`reservation held on relay ${relay.address}`);
        }
        relay.state = "reserved";
        relay.backoff.reset();
        continue;
      }
      if (relay.state === "reserved") {
        this.#logger.warn(
          `lost the reservation on relay ${relay.address}; reserving again`,
        );
        relay.state = "waiting";
        relay.backoff.reset();
      }
      if (
        !this.#busy && relay.state === "waiting" && relay.backoff.due()
      ) {
        this.#reserve(relay);
      }
    }
    if (circuits.length > 0) this.#first.resolve(true);
    const now = circuits.join(" ");
    if (now !== this.#circuits) {
      this.#circuits = now;
      this.dispatchEvent(new Event("change"));
    }
  }

  /**
   * Reserves on one relay. One at a time: the relay transport queues
   * reservations one by one anyway, and a second listen issued while one
   * is pending can stall in its queue.
   */
  async #reserve(relay: Tracked): Promise<void> {
    relay.state = "reserving";
    this.#busy = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        relayListen(this.#node, relay.address),
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `no reservation within ${RESERVE_TIMEOUT_MS / 1000} s`,
                ),
              ),
            RESERVE_TIMEOUT_MS,
          );
        }),
      ]);
      relay.state = this.circuitAddrs().some((c) =>
          c.includes(`/p2p/${relay.peerId}/p2p-circuit`)
        )
        ? "reserved"
        : "waiting";
      if (relay.state !== "reserved") {
        throw new Error("the relay gave no circuit address");
      }
      relay.backoff.reset();
      this.#logger.info(`reserved a circuit on relay ${relay.address}`);
    } catch (error) {
      const delay = relay.backoff.fail();
      relay.state = "waiting";
      relay.error = errorMessage(error);
      this.#logger.warn(
        `cannot reserve on relay ${relay.address}: ${relay.error}; retrying in ${
          delay / 1000
        } s`,
      );
    } finally {
      clearTimeout(timer);
      this.#busy = false;
    }
    this.#check();
  }
}
