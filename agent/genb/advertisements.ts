/**
 * DDS advertisements (spec genb.md 3): publish this peer's routes and
 * protocols (`PUT .../advertisements/self`) every 60 s and on change,
 * withdraw them (`DELETE`) at shutdown, and list a domain's
 * advertisements. The bearer is the peer's p2p-access token (genb.md 2.6,
 * Inferred), renewed and the call retried once on a 401.
 *
 * @module
 */
import { z } from "zod";
import type { Logger } from "../../core/logging.ts";
import { errorMessage } from "../../core/logging.ts";
import { sleep } from "../../core/backoff.ts";
import { AuthHttpError, replyJson } from "./auth_http.ts";
import type { Authority } from "./authority.ts";
import { type Bearer, bearerCall, type RenewToken } from "./bearer_call.ts";

/** How often an advertisement is renewed, ms. */
export const RENEW_ADVERTISEMENT_MS = 60_000;
/** Retry delays of one publication on 429, 5xx and timeouts, ms. */
export const PUBLISH_RETRIES_MS = [1_000, 2_000];
/** Most routes one advertisement carries. */
export const MAX_ROUTES = 32;
/** Most protocols one advertisement carries. */
export const MAX_PROTOCOLS = 64;
/** Most pages a listing reads. */
export const MAX_PAGES = 100;

/** One advertisement as DDS lists it (unknown fields ignored). */
export const Advertisement = z.object({
  peer_id: z.string(),
  routes: z.array(z.string()),
  protocols: z.array(z.string()),
  expires_at: z.string(),
  subject_id: z.string().optional(),
  peer_type: z.string().optional(),
});
/** One advertisement. */
export type Advertisement = z.infer<typeof Advertisement>;

const Page = z.object({
  advertisements: z.array(Advertisement),
  next_cursor: z.string().nullish(),
});

function base(dds: string, domainId: string): string {
  return `${dds}api/v1/domains/${domainId}/p2p/advertisements`;
}

const sortedUnique = (list: readonly string[]) => [...new Set(list)].sort();

/** Publishes and withdraws this peer's advertisement. */
export class Advertiser {
  readonly #dds: string;
  readonly #authority: Authority;
  readonly #bearer: Bearer;
  readonly #routes: () => string[];
  readonly #protocols: string[];
  readonly #logger: Logger;
  readonly #renewMs: number;
  readonly #stop = new AbortController();
  #published = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> = Promise.resolve();

  /** An advertiser of `routes()` and `protocols` in the authority's domain. */
  constructor(init: {
    dds: string;
    authority: Authority;
    routes: () => string[];
    protocols: readonly string[];
    logger: Logger;
    renewMs?: number;
    renew?: RenewToken;
  }) {
    this.#dds = init.dds;
    this.#authority = init.authority;
    this.#bearer = {
      token: () => init.authority.localToken(),
      renew: init.renew,
    };
    this.#routes = init.routes;
    this.#protocols = sortedUnique(init.protocols).slice(0, MAX_PROTOCOLS);
    this.#logger = init.logger;
    this.#renewMs = init.renewMs ?? RENEW_ADVERTISEMENT_MS;
  }

  /** Publishes now and then every renewal period. */
  start(): void {
    this.refresh();
  }

  /** Publishes now (routes or the token changed); the period starts over. */
  refresh(): void {
    if (this.#stop.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#running = this.#running.then(() => this.#publishLogged());
    this.#timer = setTimeout(() => this.refresh(), this.#renewMs);
  }

  async #publishLogged(): Promise<void> {
    try {
      await this.#publish();
    } catch (error) {
      this.#logger.warn(
        `DDS advertisement not published: ${
          errorMessage(error)
        }; next attempt in ${this.#renewMs / 1000} s`,
      );
    }
  }

  async #publish(): Promise<void> {
    if (this.#authority.localToken() === "") {
      throw new Error("no current p2p-access token");
    }
    const routes = sortedUnique(this.#routes()).slice(0, MAX_ROUTES);
    if (routes.length === 0) throw new Error("no route to advertise");
    const body = { routes, protocols: this.#protocols };
    for (let attempt = 0;; attempt++) {
      try {
        const reply = await bearerCall({
          service: "DDS",
          method: "PUT",
          url: `${base(this.#dds, this.#authority.domainId)}/self`,
          body,
        }, this.#bearer);
        const echoed = replyJson(
          reply,
          "DDS advertisements/self",
          Advertisement.parse,
        );
        if (
          echoed.peer_id !== this.#authority.peerId ||
          JSON.stringify(sortedUnique(echoed.routes)) !==
            JSON.stringify(routes) ||
          JSON.stringify(sortedUnique(echoed.protocols)) !==
            JSON.stringify(this.#protocols)
        ) {
          throw new AuthHttpError(
            "bad_response",
            "DDS advertisements/self: the echoed advertisement differs from the one sent",
          );
        }
        const text = JSON.stringify(body);
        if (text !== this.#published) {
          this.#logger.info(
            `advertised ${routes.length} routes in domain ${this.#authority.domainId} until ${echoed.expires_at}`,
          );
        }
        this.#published = text;
        return;
      } catch (error) {
        const retry = PUBLISH_RETRIES_MS[attempt];
        if (
          retry === undefined || this.#stop.signal.aborted ||
          !(error instanceof AuthHttpError && error.transient)
        ) throw error;
        await sleep(retry);
      }
    }
  }

  /** Stops renewing and withdraws the advertisement (`DELETE`, 204). */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearTimeout(this.#timer);
    await this.#running;
    if (this.#published === "" || this.#authority.localToken() === "") return;
    try {
      await bearerCall({
        service: "DDS",
        method: "DELETE",
        url: `${base(this.#dds, this.#authority.domainId)}/self`,
      }, this.#bearer);
      this.#logger.info("DDS advertisement withdrawn");
    } catch (error) {
      this.#logger.warn(
        `withdrawing the DDS advertisement: ${errorMessage(error)}`,
      );
    }
  }
}

/**
 * Lists a domain's advertisements (all pages, at most {@link MAX_PAGES}),
 * leaving out expired ones and `selfPeerId`'s; `protocol` filters. A page
 * refused with a 401 renews the token through `bearer` and is asked once
 * more.
 */
export async function listAdvertisements(
  dds: string,
  domainId: string,
  bearer: Bearer,
  options: { protocol?: string; selfPeerId?: string; nowMs?: number } = {},
): Promise<Advertisement[]> {
  const out: Advertisement[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ limit: "100" });
    if (options.protocol) query.set("protocol", options.protocol);
    if (cursor) query.set("cursor", cursor);
    const reply = await bearerCall({
      service: "DDS",
      method: "GET",
      url: `${base(dds, domainId)}?${query}`,
    }, bearer);
    const parsed = replyJson(reply, "DDS advertisements", Page.parse);
    const now = options.nowMs ?? Date.now();
    out.push(
      ...parsed.advertisements.filter((ad) =>
        ad.peer_id !== options.selfPeerId && !(Date.parse(ad.expires_at) <= now)
      ),
    );
    if (!parsed.next_cursor) break;
    cursor = parsed.next_cursor;
  }
  return out;
}
