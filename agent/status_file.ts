/**
 * `<storage>/status.json`: the running agent's state for operators and
 * `auki-edge status` (addresses, cluster, relay reservations and booking,
 * sensor health and rates, logs and subscriptions, process figures),
 * rewritten atomically whenever it changes and removed when the agent
 * stops.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../core/logging.ts";
import type { ObservedStatus } from "./observe/observer.ts";
import { describe } from "./protocols/exchange.ts";
import type { RelayState } from "./relay/reservations.ts";
import type { RelayBookingStatus } from "./genb/booking_status.ts";
import { writeFileAtomic } from "../core/files.ts";

/** What the status file holds (and `/api/status` serves). */
export interface AgentStatus extends ObservedStatus {
  /** The agent's process id. */
  pid: number;
  /** Its peer id. */
  peer_id: string;
  /** Its dialable addresses, each ending in `/p2p/<peer id>`. */
  multiaddrs: string[];
  /** Its cluster, or null when standalone or not joined yet. */
  cluster: {
    name: string;
    is_manager: boolean;
    manager_peer_id: string;
    members: number;
  } | null;
  /** The state of each configured relay's reservation. */
  relays: RelayState[];
  /** The DMS relay booking (gen-B `--relay-booking`), or null without one. */
  relay_booking: RelayBookingStatus | null;
}

const REFRESH_MS = 1_000;

/** The status file of a storage root. */
function statusPath(storage: string): string {
  return join(storage, "status.json");
}

/** Reads a storage root's status file; undefined when no agent wrote one. */
export async function readStatus(
  storage: string,
): Promise<AgentStatus | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(statusPath(storage)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`cannot read ${statusPath(storage)}: ${describe(error)}`);
  }
}

/** Keeps the status file current while the agent runs. */
export class StatusFile {
  readonly #path: string;
  readonly #logger: Logger;
  readonly #snapshot: () => AgentStatus;
  #timer: ReturnType<typeof setInterval> | undefined;
  #written = "";
  #chain: Promise<void> = Promise.resolve();

  /** A status file under `storage`, written from `snapshot`. */
  constructor(storage: string, logger: Logger, snapshot: () => AgentStatus) {
    this.#path = statusPath(storage);
    this.#logger = logger;
    this.#snapshot = snapshot;
  }

  /** Writes it now and whenever it changes. */
  start(): void {
    this.refresh();
    this.#timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  /** Writes the status when it differs from the last written. */
  refresh(): void {
    const text = `${JSON.stringify(this.#snapshot(), null, 2)}\n`;
    if (text === this.#written) return;
    this.#written = text;
    this.#chain = this.#chain.then(() =>
      writeFileAtomic(this.#path, text, { soleWriter: true })
    ).catch((error) =>
      this.#logger.warn(`cannot write ${this.#path}: ${describe(error)}`)
    );
  }

  /** Stops refreshing and removes the file. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#chain;
    await Deno.remove(this.#path).catch(() => {});
  }
}
