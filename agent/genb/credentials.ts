/**
 * The App path to a p2p-access token (spec genb.md 2.2): a service bearer
 * from the identity API with HTTP Basic app credentials, a DDS challenge for
 * the domain and peer, the peer's Ed25519 signature over the raw 32
 * challenge bytes, and the verified p2p-access token; plus the DDS
 * verification keys. A 401 refreshes the service bearer and starts over.
 *
 * @module
 */
import type { Ed25519PrivateKey } from "@libp2p/interface";
import { publicKeyToProtobuf } from "@libp2p/crypto/keys";
import { Buffer } from "node:buffer";
import { z } from "zod";
import { base64url, fromBase64url } from "./base64url.ts";
import { AuthHttpError, call, replyJson } from "./auth_http.ts";

/** An app's access key and secret. */
export interface AppCredentials {
  /** The access key (≤256 bytes, no `:`). */
  appKey: string;
  /** The secret (≤1024 bytes). */
  appSecret: string;
}

/** Where the services are (base URLs ending in `/`). */
export interface AuthServices {
  /** The identity API. */
  api: string;
  /** The Domain Data Service. */
  dds: string;
}

/** A freshly issued p2p-access token. */
export interface IssuedToken {
  /** The compact JWT. */
  token: string;
  /** `p2p_access_expires_at` as DDS wrote it. */
  expiresAt: string;
}

/** Checks app credentials' bounds; throws a one-line message. */
export function checkAppCredentials(credentials: AppCredentials): void {
  const key = new TextEncoder().encode(credentials.appKey).byteLength;
  const secret = new TextEncoder().encode(credentials.appSecret).byteLength;
  if (key === 0 || key > 256 || credentials.appKey.includes(":")) {
    throw new Error("app key must be 1-256 bytes without ':'");
  }
  if (secret === 0 || secret > 1024) {
    throw new Error("app secret must be 1-1024 bytes");
  }
}

const ServiceToken = z.object({ access_token: z.string().min(1) });
const Challenge = z.object({
  challenge_id: z.string().min(1).max(256),
  challenge: z.string(),
  expires_at: z.string().optional(),
});
const Verified = z.object({
  peer_id: z.string(),
  domain_id: z.string(),
  peer_type: z.string().optional(),
  p2p_access_token: z.string().min(1),
  p2p_access_expires_at: z.string(),
});

/** Obtains p2p-access tokens for one peer in one domain as an app. */
export class CredentialsClient {
  readonly #services: AuthServices;
  readonly #credentials: AppCredentials;
  readonly #key: Ed25519PrivateKey;
  readonly #peerId: string;
  readonly #domainId: string;
  #bearer: string | undefined;

  /** A client for `peerId` (whose key is `key`) in `domainId`. */
  constructor(init: {
    services: AuthServices;
    credentials: AppCredentials;
    key: Ed25519PrivateKey;
    peerId: string;
    domainId: string;
  }) {
    this.#services = init.services;
    this.#credentials = init.credentials;
    this.#key = init.key;
    this.#peerId = init.peerId;
    this.#domainId = init.domainId;
  }

  /** A new service bearer (step 1). Bad credentials throw `unauthorized`/`forbidden`. */
  async serviceToken(): Promise<string> {
    const basic = Buffer.from(
      `${this.#credentials.appKey}:${this.#credentials.appSecret}`,
    ).toString("base64");
    const reply = await call({
      service: "API",
      method: "POST",
      url: `${this.#services.api}service/domains-access-token`,
      authorization: `Basic ${basic}`,
    }).catch((error) => {
      if (
        error instanceof AuthHttpError &&
        (error.failure === "unauthorized" || error.failure === "forbidden")
      ) {
        throw new AuthHttpError(
          error.failure,
          `the identity API refused app key ${this.#credentials.appKey} (HTTP ${error.status}): check --app-key and the app secret file`,
          error.status,
        );
      }
      throw error;
    });
    return replyJson(reply, "API domains-access-token", ServiceToken.parse)
      .access_token;
  }

  /**
   * A p2p-access token (steps 3 and 4). On a 401 the service bearer is
   * refreshed and the exchange starts again, once; a 404 means the domain
   * is not accessible to the app.
   */
  async p2pToken(): Promise<IssuedToken> {
    this.#bearer ??= await this.serviceToken();
    try {
      return await this.#exchange(this.#bearer);
    } catch (error) {
      if (!(error instanceof AuthHttpError)) throw error;
      if (error.failure === "unauthorized") {
        this.#bearer = await this.serviceToken();
        return await this.#exchange(this.#bearer);
      }
      throw error;
    }
  }

  async #exchange(bearer: string): Promise<IssuedToken> {
    const base = `${this.#services.dds}api/v1/domains/${this.#domainId}/p2p/`;
    const authorization = `Bearer ${bearer}`;
    const notAccessible = (error: unknown) => {
      if (error instanceof AuthHttpError && error.failure === "not_found") {
        throw new AuthHttpError(
          "not_found",
          `domain ${this.#domainId} is not accessible to app key ${this.#credentials.appKey} (DDS answered 404)`,
          404,
        );
      }
      throw error;
    };
    const challengeReply = await call({
      service: "DDS",
      method: "POST",
      url: `${base}challenge`,
      authorization,
      body: {
        peer_id: this.#peerId,
        public_key: base64url(publicKeyToProtobuf(this.#key.publicKey)),
      },
    }).catch(notAccessible);
    const challenge = replyJson(
      challengeReply,
      "DDS p2p/challenge",
      Challenge.parse,
    );
    let bytes: Uint8Array;
    try {
      bytes = fromBase64url(challenge.challenge);
    } catch {
      bytes = new Uint8Array();
    }
    if (bytes.byteLength !== 32) {
      throw new AuthHttpError(
        "bad_response",
        "DDS p2p/challenge: the challenge is not 32 bytes of base64url",
      );
    }
    const signature = await this.#key.sign(bytes);
    const verifyReply = await call({
      service: "DDS",
      method: "POST",
      url: `${base}verify`,
      authorization,
      body: {
        challenge_id: challenge.challenge_id,
        signature: base64url(signature),
      },
    }).catch(notAccessible);
    const verified = replyJson(verifyReply, "DDS p2p/verify", Verified.parse);
    if (
      verified.peer_id !== this.#peerId || verified.domain_id !== this.#domainId
    ) {
      throw new AuthHttpError(
        "bad_response",
        `DDS p2p/verify: issued for peer ${verified.peer_id} in domain ${verified.domain_id}, not this peer and domain`,
      );
    }
    return {
      token: verified.p2p_access_token,
      expiresAt: verified.p2p_access_expires_at,
    };
  }

  /** The verification key document text (step 5; no authorization). */
  async verificationKeys(): Promise<string> {
    const reply = await call({
      service: "DDS",
      method: "GET",
      url: `${this.#services.dds}service/p2p-verification-keys`,
    });
    return reply.text;
  }
}
