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
import type { Logger } from "../logging.ts";

const CHECK_INTERVAL_MS = 1_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

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

interface Tracked {
  address: Multiaddr;
  peerId: string;
  state: RelayState["state"];
  error?: string;
  retryAt: number;
  delay: number;
}

/** Keeps reservations on a list of relays. */
export class RelayReservations {
  readonly #node: Libp2p;
  readonly #logger: Logger;
  readonly #onChange: () => void;
  readonly #relays: Tracked[];
  #timer: ReturnType<typeof setInterval> | undefined;
  #circuits = "";

  /** Reservations on `relays` (multiaddrs with `/p2p/<relay id>`). */
  constructor(
    node: Libp2p,
    relays: string[],
    logger: Logger,
    onChange: () => void,
  ) {
    this.#node = node;
    this.#logger = logger;
    this.#onChange = onChange;
    this.#relays = relays.map((text) => {
      const address = multiaddr(text);
      const peerId = /\/p2p\/([^/]+)$/.exec(address.toString())?.[1];
      if (peerId === undefined) {
        throw new Error(`relay address ${text} has no /p2p/<relay peer id>`);
      }
      return { address, peerId, state: "waiting", retryAt: 0, delay: 0 };
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
  }

  /** TCP-based circuit addresses of the reservations held, ending in `/p2p/<self>`. */
  circuitAddrs(): string[] {
    return this.#node.getMultiaddrs().map(String).filter((a) =>
      a.includes("/p2p-circuit") && a.includes("/tcp/") && !a.includes("/ws")
    );
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
        ...(r.state === "waiting" && r.retryAt > Date.now()
          ? { retry_at: new Date(r.retryAt).toISOString() }
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
        relay.delay = 0;
        continue;
      }
      if (relay.state === "reserved") {
        this.#logger.warn(
          `lost the reservation on relay ${relay.address}; reserving again`,
        );
        relay.state = "waiting";
        relay.retryAt = 0;
      }
      if (relay.state === "waiting" && Date.now() >= relay.retryAt) {
        this.#reserve(relay);
      }
    }
    const now = circuits.join(" ");
    if (now !== this.#circuits) {
      this.#circuits = now;
      this.#onChange();
    }
  }

  async #reserve(relay: Tracked): Promise<void> {
    relay.state = "reserving";
    try {
      await (this.#node as unknown as Internals).components.transportManager
        .listen([relay.address.encapsulate("/p2p-circuit")]);
      relay.state = this.circuitAddrs().some((c) =>
          c.includes(`/p2p/${relay.peerId}/p2p-circuit`)
        )
        ? "reserved"
        : "waiting";
      if (relay.state === "reserved") {
        relay.delay = 0;
        this.#logger.info(`reserved a circuit on relay ${relay.address}`);
        this.#check();
        return;
      }
      throw new Error("the relay gave no circuit address");
    } catch (error) {
      relay.delay = Math.min(
        Math.max(relay.delay * 2, RETRY_MIN_MS),
        RETRY_MAX_MS,
      );
      relay.retryAt = Date.now() + relay.delay;
      relay.state = "waiting";
      relay.error = error instanceof Error ? error.message : String(error);
      this.#logger.warn(
        `cannot reserve on relay ${relay.address}: ${relay.error}; retrying in ${
          relay.delay / 1000
        } s`,
      );
    }
  }
}
