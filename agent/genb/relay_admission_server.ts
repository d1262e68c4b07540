/**
 * The relay side of source admission `/auki-p2p/relay-auth/1` (spec genb.md
 * 1.4), for `auki-edge relay --domain`: a dialer presents its p2p-access
 * token for a target on a direct connection; the relay admits it when the
 * token verifies (DDS keys, the dialer's peer id, the relay's domain) and
 * the target holds a reservation here, and then lets that dialer CONNECT to
 * that target until `accepted_until`. Other CONNECTs are refused.
 *
 * @module
 */
import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import { z } from "zod";
import { Backoff, sleep } from "../../core/backoff.ts";
import { encodeFrame, FrameReader } from "../../core/codec/framing.ts";
import { rateLimitedByKey } from "../../core/keyed_rate_limit.ts";
import { errorMessage, type Logger } from "../../core/logging.ts";
import { call } from "./auth_http.ts";
import { Authority } from "./authority.ts";
import { KEY_REFRESH_MS } from "./auth_supervisor.ts";
import { KeyRing } from "./key_ring.ts";
import {
  ADMISSION_TIMEOUT_MS,
  RELAY_AUTH,
  REQUEST_LIMITS,
  RESPONSE_LIMITS,
} from "./relay_admission.ts";

/** How long an admission lasts (below the clients' 30 s bound), ms. */
export const ADMISSION_MS = 20_000;

const Request = z.strictObject({
  version: z.literal(1),
  domain_id: z.string(),
  target_peer_id: z.string(),
  p2p_access_token: z.string(),
});

/** What the admission server needs. */
export interface AdmissionServerInit {
  /** The domain whose peers are admitted. */
  domainId: string;
  /** DDS base URL (ending in `/`), for the verification keys. */
  dds: string;
  /** The peers holding a reservation on this relay. */
  reservedPeers(): Iterable<PeerId>;
  /** Where refusals and key failures are logged. */
  logger: Logger;
}

/** Serves admissions and answers the relay's CONNECT check. */
export class AdmissionServer {
  readonly #init: AdmissionServerInit;
  readonly #admitted = new Map<string, number>();
  readonly #stop = new AbortController();
  readonly #logRefusal: (key: string, message: string) => void;
  #authority: Authority | undefined;
  #keys: Promise<void> | undefined;

  /** A server for `init.domainId`. */
  constructor(init: AdmissionServerInit) {
    this.#init = init;
    this.#logRefusal = rateLimitedByKey(
      10_000,
      (message) => init.logger.info(message),
    );
  }

  /** Registers the protocol on the relay node and starts fetching keys. */
  async start(node: Libp2p): Promise<void> {
    this.#authority = new Authority({
      domainId: this.#init.domainId,
      peerId: node.peerId.toString(),
      keys: new KeyRing(),
    });
    await node.handle(
      RELAY_AUTH,
      (stream, connection) => this.#serve(stream, connection),
    );
    this.#keys = this.#refreshKeys(this.#authority.keys);
  }

  /** Stops refreshing keys. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#keys;
  }

  /** Whether `source` may not CONNECT to `target` (no current admission). */
  deny(source: PeerId, target: PeerId): boolean {
    const key = `${source} ${target}`;
    const until = this.#admitted.get(key);
    if (until !== undefined && Date.now() < until) return false;
    this.#admitted.delete(key);
    this.#logRefusal(
      `connect ${source}`,
      `CONNECT from ${source} to ${target} refused: not admitted (${RELAY_AUTH})`,
    );
    return true;
  }

  async #refreshKeys(ring: KeyRing): Promise<void> {
    const backoff = new Backoff(1_000, 60_000);
    while (!this.#stop.signal.aborted) {
      let delay = KEY_REFRESH_MS;
      try {
        const reply = await call({
          service: "DDS",
          method: "GET",
          url: `${this.#init.dds}service/p2p-verification-keys`,
        });
        await ring.install(reply.text);
        backoff.reset();
      } catch (error) {
        delay = backoff.fail();
        this.#init.logger.warn(
          `DDS verification keys: ${errorMessage(error)}; retrying in ${
            delay / 1000
          } s (admissions are refused without keys)`,
        );
      }
      await sleep(delay, this.#stop.signal);
    }
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const source = connection.remotePeer;
    const signal = AbortSignal.timeout(ADMISSION_TIMEOUT_MS);
    let answer: Record<string, unknown> = { accepted: false };
    try {
      const body = await new FrameReader(stream, REQUEST_LIMITS)
        .read(signal);
      if (body === null || body.length === 0) throw new Error("no request");
      const request = Request.parse(
        JSON.parse(new TextDecoder().decode(body)),
      );
      answer = await this.#admit(source, request);
    } catch (error) {
      this.#logRefusal(
        `admission ${source}`,
        `admission of ${source} refused: ${errorMessage(error).slice(0, 200)}`,
      );
    }
    try {
      stream.send(encodeFrame(
        new TextEncoder().encode(JSON.stringify(answer)),
        RESPONSE_LIMITS,
      ));
      await stream.close({ signal });
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async #admit(
    source: PeerId,
    request: z.infer<typeof Request>,
  ): Promise<Record<string, unknown>> {
    if (request.domain_id !== this.#init.domainId) {
      throw new Error(`domain ${request.domain_id} is not served here`);
    }
    const target = [...this.#init.reservedPeers()].find((p) =>
      p.toString() === request.target_peer_id
    );
    if (target === undefined) {
      throw new Error(`${request.target_peer_id} holds no reservation here`);
    }
    const claims = await this.#authority!.verifyPeer(
      request.p2p_access_token,
      source.toString(),
    );
    const until = Math.min(Date.now() + ADMISSION_MS, claims.exp * 1000);
    const whole = Math.floor(until / 1000) * 1000;
    for (const [key, end] of this.#admitted) {
      if (end <= Date.now()) this.#admitted.delete(key);
    }
    this.#admitted.set(`${source} ${target}`, whole);
    return {
      accepted: true,
      accepted_until: new Date(whole).toISOString().replace(/\.\d+Z$/, "Z"),
    };
  }
}
