/**
 * p2p-access tokens (spec genb.md 2.4): ES256 JWS compact tokens issued by
 * DDS, and the verifier rules every `/auki/auth/1/...` stream applies to its
 * peer's token and its own.
 *
 * @module
 */
import { z } from "zod";
import { fromBase64url } from "./base64url.ts";

/** A token's required lifetime, seconds (`exp - iat`). */
export const TOKEN_LIFETIME_S = 1800;
/** How far `iat` and `nbf` may lie in the future, seconds. */
export const FUTURE_SKEW_S = 60;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VISIBLE_ASCII = /^[\x21-\x7e]{1,64}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const Seconds = z.number().int().nonnegative();

/** The claims of a p2p-access token; unknown claims are refused. */
export const TokenClaims = z.strictObject({
  type: z.literal("p2p-access"),
  iss: z.literal("dds"),
  aud: z.tuple([z.literal("auki-p2p")]),
  sub: z.string(),
  // Diagnostics only (genb.md 2.4); SDK test peers use free-form kinds.
  peer_type: z.string().min(1).max(64).optional(),
  peer_id: z.string().min(1),
  organization_id: z.string().regex(UUID).optional(),
  domain_ids: z.array(z.string().regex(UUID)).min(1).max(25),
  scopes: z.array(z.string()).optional(),
  application: z.strictObject({
    name: z.string().regex(VISIBLE_ASCII),
    version: z.string().regex(VISIBLE_ASCII),
  }).optional(),
  iat: Seconds,
  nbf: Seconds.optional(),
  exp: Seconds,
});
/** The claims of a p2p-access token. */
export type TokenClaims = z.infer<typeof TokenClaims>;

/** Why a token was refused; `reason` is one word for logs and tests. */
export class TokenError extends Error {
  /** Creates the error. */
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = "TokenError";
  }
}

/** A compact JWS split into its parts, claims parsed but not yet trusted. */
export interface ParsedToken {
  /** The token text. */
  token: string;
  /** `header.payload`, the signed bytes. */
  signingInput: Uint8Array<ArrayBuffer>;
  /** The 64-byte P1363 signature (r ‖ s). */
  signature: Uint8Array<ArrayBuffer>;
  /** The claims. */
  claims: TokenClaims;
}

/** Splits and decodes a token; checks its header and the claims' shape and rules that need no clock. */
export function parseToken(token: string): ParsedToken {
  if (token.length === 0) throw new TokenError("empty", "empty token");
  const parts = token.split(".");
  if (parts.length !== 3) {
    throw new TokenError("malformed", "not a JWS compact token");
  }
  let header: unknown;
  let claims: unknown;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    header = JSON.parse(decoder.decode(fromBase64url(parts[0])));
    claims = JSON.parse(decoder.decode(fromBase64url(parts[1])));
    signature = fromBase64url(parts[2]);
  } catch {
    throw new TokenError("malformed", "token parts are not base64url JSON");
  }
  const Header = z.strictObject({
    typ: z.literal("JWT").optional(),
    alg: z.literal("ES256"),
  });
  if (!Header.safeParse(header).success) {
    throw new TokenError("header", "token header is not an ES256 JWT");
  }
  const parsed = TokenClaims.safeParse(claims);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TokenError(
      "claims",
      `token claim ${issue.path.join(".") || "set"}: ${issue.message}`,
    );
  }
  checkStaticRules(parsed.data);
  return {
    token,
    signingInput: encoder.encode(`${parts[0]}.${parts[1]}`),
    signature,
    claims: parsed.data,
  };
}

function checkStaticRules(claims: TokenClaims): void {
  const sub = encoder.encode(claims.sub).byteLength;
  // The SDK requires a UUID subject; DDS issues opaque user subjects (Open #1).
  if (
    !UUID.test(claims.sub) &&
    !(claims.peer_type === "user" && sub >= 1 && sub <= 255)
  ) {
    throw new TokenError("claims", "token sub is not a canonical UUID");
  }
  const domains = claims.domain_ids;
  if (new Set(domains).size !== domains.length) {
    throw new TokenError("claims", "token domain_ids repeat a domain");
  }
  if (claims.peer_type !== "domain_server" && domains.length !== 1) {
    throw new TokenError("claims", "token names more than one domain");
  }
  if (claims.exp - claims.iat !== TOKEN_LIFETIME_S) {
    throw new TokenError(
      "claims",
      `token lifetime is ${
        claims.exp - claims.iat
      } s, not ${TOKEN_LIFETIME_S} s`,
    );
  }
}

/** What a token is checked against. */
export interface Expectation {
  /** The peer id the token must be bound to (the Noise peer id). */
  peerId: string;
  /** The local domain, which must be among the token's `domain_ids`. */
  domainId: string;
  /** Now, seconds since the epoch. */
  nowS: number;
}

/** Checks the time window (`exp > now` literally, `iat`/`nbf` at most 60 s ahead). */
function checkTimes(claims: TokenClaims, nowS: number): void {
  if (!(claims.exp > nowS)) {
    throw new TokenError("expired", `token expired at ${claims.exp}`);
  }
  if (claims.iat > nowS + FUTURE_SKEW_S) {
    throw new TokenError("not_yet_valid", "token iat is in the future");
  }
  if (claims.nbf !== undefined && claims.nbf > nowS + FUTURE_SKEW_S) {
    throw new TokenError("not_yet_valid", "token nbf is in the future");
  }
}

/** Checks the binding rules: peer id, domain and time window. */
export function checkBinding(claims: TokenClaims, expect: Expectation): void {
  if (claims.peer_id !== expect.peerId) {
    throw new TokenError(
      "wrong_peer",
      `token is for peer ${claims.peer_id}, not ${expect.peerId}`,
    );
  }
  if (!claims.domain_ids.includes(expect.domainId)) {
    throw new TokenError(
      "wrong_domain",
      `token is not for domain ${expect.domainId}`,
    );
  }
  checkTimes(claims, expect.nowS);
}

/** Verifies a parsed token's ES256 signature with any of `keys`. */
export async function verifySignature(
  parsed: ParsedToken,
  keys: readonly CryptoKey[],
): Promise<void> {
  if (parsed.signature.byteLength !== 64) {
    throw new TokenError("signature", "token signature is not 64 bytes");
  }
  for (const key of keys) {
    const ok = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      parsed.signature,
      parsed.signingInput,
    );
    if (ok) return;
  }
  throw new TokenError("unknown_key", "token is not signed by a known DDS key");
}
