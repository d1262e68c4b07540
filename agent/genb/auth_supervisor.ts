/**
 * Keeps a gen-B peer's authority current (spec genb.md 2.5, 2.6): fetches
 * the DDS verification keys every 10 minutes, obtains the p2p-access token
 * and renews it at 75 % of its lifetime. Failures are retried with backoff
 * and logged as one line saying what failed and until when existing
 * streams are served; nothing here ends the agent. A service refusing the
 * token (DMS or DDS answering 401) asks for a renewal now
 * ({@link AuthSupervisor.renewNow}): one shared renewal, at most one per
 * token and none for a token such a renewal gave.
 *
 * @module
 */
import type { Logger } from "../../core/logging.ts";
import { errorMessage } from "../../core/logging.ts";
import { Backoff, sleep } from "../../core/backoff.ts";
import type { Authority } from "./authority.ts";
import type { CredentialsClient } from "./credentials.ts";

/** How often the verification keys are refetched, ms (well inside the 60 min limit). */
export const KEY_REFRESH_MS = 10 * 60 * 1000;
/** The share of a token's lifetime after which it is renewed. */
export const RENEW_AT = 0.75;

/** The supervisor's timing; tests shorten it. */
export interface SupervisorTiming {
  /** Key refresh interval, ms. */
  keyRefreshMs: number;
  /** Smallest retry delay, ms. */
  minBackoffMs: number;
  /** Largest retry delay, ms. */
  maxBackoffMs: number;
  /** Smallest interval between renewals once the 75 % mark has passed, ms. */
  minRenewMs: number;
}

const DEFAULT_TIMING: SupervisorTiming = {
  keyRefreshMs: KEY_REFRESH_MS,
  minBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  minRenewMs: 30_000,
};

/** Obtains and renews the token and keys of one {@link Authority}. */
export class AuthSupervisor {
  readonly #client: CredentialsClient;
  readonly #authority: Authority;
  readonly #logger: Logger;
  readonly #timing: SupervisorTiming;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  readonly #backoff: Backoff;
  #keysAt = -Infinity;
  #loop: Promise<void> | undefined;
  #first: PromiseWithResolvers<void> = Promise.withResolvers();
  /** Wakes the loop from its sleep for a forced renewal. */
  #wake = new AbortController();
  /** A forced renewal asked for and not yet taken by the loop. */
  #forcing: PromiseWithResolvers<void> | undefined;
  /** The token the last forced renewal was made for. */
  #forcedFor = "";
  /** The token the last forced renewal gave. */
  #forcedGave = "";

  /** A supervisor; {@link start} begins its work. `now` gives ms since the epoch. */
  constructor(
    init: {
      client: CredentialsClient;
      authority: Authority;
      logger: Logger;
      timing?: Partial<SupervisorTiming>;
    },
    now: () => number = Date.now,
  ) {
    this.#client = init.client;
    this.#authority = init.authority;
    this.#logger = init.logger;
    this.#timing = { ...DEFAULT_TIMING, ...init.timing };
    this.#backoff = new Backoff(
      this.#timing.minBackoffMs,
      this.#timing.maxBackoffMs,
    );
    this.#now = now;
    this.#first.promise.catch(() => {});
  }

  /** Resolves once the first token is installed (rejects when stopped first). */
  get ready(): Promise<void> {
    return this.#first.promise;
  }

  /** Starts fetching keys and the token in the background. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops renewing; the installed token stays until it expires. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#first.reject(new Error("stopped before a token was issued"));
    await this.#loop;
    this.#forcing?.resolve();
  }

  /**
   * A service refused `rejected` (HTTP 401; `reason` says which): renews
   * the token now, unless that happened already. Callers at the same time
   * share one renewal; a token gets at most one forced renewal, and a token
   * a forced renewal gave gets none (refusing a fresh token is not a stale
   * token's fault), so a service refusing every token costs one extra
   * renewal per timed renewal, never a storm: its callers fall back to
   * their backoff. Resolves whether a newer token than `rejected` is
   * installed to retry with.
   */
  async renewNow(rejected: string, reason: string): Promise<boolean> {
    const newer = () => {
      const token = this.#authority.localToken();
      return token !== "" && token !== rejected;
    };
    if (newer()) return true;
    if (this.#loop === undefined || this.#stop.signal.aborted) return false;
    if (this.#forcing === undefined) {
      if (rejected === this.#forcedFor || rejected === this.#forcedGave) {
        return false;
      }
      this.#forcedFor = rejected;
      this.#forcing = Promise.withResolvers();
      this.#logger.info(`${reason}: renewing the p2p-access token now`);
      this.#wake.abort();
    }
    await this.#forcing.promise;
    return newer();
  }

  /** When the token is due for renewal, ms since the epoch (0: now). */
  renewAt(): number {
    const claims = this.#authority.claims;
    if (claims === undefined) return 0;
    return (claims.iat + RENEW_AT * (claims.exp - claims.iat)) * 1000;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      this.#wake = new AbortController();
      const forcing = this.#forcing;
      this.#forcing = undefined;
      let delay: number;
      try {
        await this.#step(forcing !== undefined);
        this.#backoff.reset();
        const now = this.#now();
        const next = Math.min(
          this.#nextRenewal(now),
          this.#keysAt + this.#timing.keyRefreshMs,
        );
        delay = Math.max(0, next - now);
      } catch (error) {
        delay = this.#backoff.fail(this.#now());
        this.#logger.warn(`${errorMessage(error)}; ${this.#standing(delay)}`);
      }
      if (forcing !== undefined) {
        this.#forcedGave = this.#authority.localToken();
        forcing.resolve();
      }
      // A renewal forced during the step runs at once.
      if (this.#forcing !== undefined) continue;
      await sleep(
        delay,
        AbortSignal.any([this.#stop.signal, this.#wake.signal]),
      );
    }
  }

  /**
   * When to renew next: at 75 % of the lifetime, but when that has passed
   * already (a clock ahead of DDS's, or a backdated token) not before
   * `minRenewMs` nor later than halfway to expiry, so a renewal that cannot
   * move the 75 % mark does not spin.
   */
  #nextRenewal(now: number): number {
    const at = this.renewAt();
    const exp = this.#authority.localExpiry();
    if (at > now || exp === undefined) return at;
    return now + Math.min(this.#timing.minRenewMs, (exp * 1000 - now) / 2);
  }

  /** Refreshes the keys when due, and the token when due or `force`d. */
  async #step(force: boolean): Promise<void> {
    const now = this.#now();
    if (now >= this.#keysAt + this.#timing.keyRefreshMs) {
      await this.#authority.keys.install(
        await this.#client.verificationKeys(),
        now,
      );
      this.#keysAt = now;
    }
    if (force || this.#now() >= this.renewAt()) {
      const issued = await this.#client.p2pToken();
      const claims = await this.#authority.install(issued.token);
      const stated = Date.parse(issued.expiresAt);
      if (!Number.isNaN(stated) && Math.floor(stated / 1000) !== claims.exp) {
        this.#logger.warn(
          `DDS stated expiry ${issued.expiresAt} differs from the token's exp ${claims.exp}`,
        );
      }
      this.#logger.info(
        `p2p-access token for domain ${this.#authority.domainId} valid until ${
          new Date(claims.exp * 1000).toISOString()
        }`,
      );
      this.#first.resolve();
    }
  }

  #standing(delayMs: number): string {
    const retry = `retrying in ${(delayMs / 1000).toFixed(0)} s`;
    const exp = this.#authority.localExpiry();
    if (exp === undefined) {
      return `${retry}; gen-B streams are refused until a token is issued`;
    }
    const until = new Date(exp * 1000).toISOString();
    return exp * 1000 > this.#now()
      ? `${retry}; serving with the current token until it expires at ${until}`
      : `${retry}; the token expired at ${until}: new gen-B streams are refused until renewal succeeds`;
  }
}
