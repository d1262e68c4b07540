/**
 * This peer's standing in its domain: the domain id, its own p2p-access
 * token and the DDS key ring. It is the {@link HandshakeParty} of every
 * gen-B stream, and refuses new streams once its own token's literal `exp`
 * has passed until a renewal installs a newer one (spec genb.md 2.6).
 *
 * @module
 */
import type { HandshakeParty } from "./handshake.ts";
import type { KeyRing } from "./key_ring.ts";
import {
  checkBinding,
  parseToken,
  type TokenClaims,
  verifySignature,
} from "./token.ts";

/** How many signature-verified tokens are remembered. */
export const VERIFIED_CACHE_SIZE = 1024;

/** The domain, own token and keys of a gen-B peer. */
export class Authority implements HandshakeParty {
  /** The domain this peer serves and joins. */
  readonly domainId: string;
  /** This peer's id. */
  readonly peerId: string;
  /** The DDS verification keys. */
  readonly keys: KeyRing;
  readonly #now: () => number;
  #token = "";
  #claims: TokenClaims | undefined;
  readonly #verified = new Map<string, TokenClaims>();
  #verifiedGeneration = 0;

  /** An authority without a token yet; `now` gives ms since the epoch. */
  constructor(
    init: { domainId: string; peerId: string; keys: KeyRing },
    now: () => number = Date.now,
  ) {
    this.domainId = init.domainId;
    this.peerId = init.peerId;
    this.keys = init.keys;
    this.#now = now;
  }

  /** Now, seconds since the epoch. */
  nowS(): number {
    return Math.floor(this.#now() / 1000);
  }

  /**
   * Installs a freshly issued token for this peer after verifying it like a
   * peer's; a token not newer (`iat`) than the installed one is ignored.
   */
  async install(token: string): Promise<TokenClaims> {
    const claims = await this.#verify(token, this.peerId);
    if (this.#claims !== undefined && claims.iat <= this.#claims.iat) {
      return this.#claims;
    }
    this.#token = token;
    this.#claims = claims;
    return claims;
  }

  /** The installed token's claims, if any. */
  get claims(): TokenClaims | undefined {
    return this.#claims;
  }

  /** The own token while it has not expired; `""` otherwise. */
  localToken(): string {
    const exp = this.localExpiry();
    return exp !== undefined && exp > this.nowS() ? this.#token : "";
  }

  /** The own token's `exp`, seconds. */
  localExpiry(): number | undefined {
    return this.#claims?.exp;
  }

  /** Verifies a peer's token: signature, PeerId binding, this domain, time window. */
  verifyPeer(token: string, peerId: string): Promise<TokenClaims> {
    return this.#verify(token, peerId);
  }

  /**
   * Signature checks are the handshake's main cost (an ES256 verify takes
   * milliseconds), so tokens whose signature verified are remembered until
   * the key ring changes generation; the binding and time rules are checked
   * on every stream, and stale keys refuse as before.
   */
  async #verify(token: string, peerId: string): Promise<TokenClaims> {
    const keys = this.keys.keys(this.#now());
    if (this.#verifiedGeneration !== this.keys.generation) {
      this.#verified.clear();
      this.#verifiedGeneration = this.keys.generation;
    }
    let claims = this.#verified.get(token);
    if (claims === undefined) {
      const parsed = parseToken(token);
      await verifySignature(parsed, keys);
      claims = parsed.claims;
      if (this.#verified.size >= VERIFIED_CACHE_SIZE) {
        this.#verified.delete(this.#verified.keys().next().value!);
      }
      this.#verified.set(token, claims);
    }
    checkBinding(claims, {
      peerId,
      domainId: this.domainId,
      nowS: this.nowS(),
    });
    return claims;
  }
}
