/**
 * Test DDS signing keys for generation B: P-256 key pairs, verification key
 * documents as `p2p-verification-keys` serves them, and p2p-access tokens
 * signed with them (what DDS mints), for the fake services, the tests and
 * the gen-B benchmark.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { base64url } from "../../agent/genb/base64url.ts";
import { pemToDer, sha256Hex } from "../../agent/genb/key_ring.ts";
import { TOKEN_LIFETIME_S } from "../../agent/genb/token.ts";

const encoder = new TextEncoder();

/** A test DDS signing key: its private key and public PEM and key id. */
export interface SigningKey {
  /** The P-256 private key. */
  privateKey: CryptoKey;
  /** The SPKI public key as PEM. */
  pem: string;
  /** Lowercase hex SHA-256 of the SPKI DER. */
  id: string;
}

/** The PEM text of SPKI DER bytes. */
export function spkiPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN PUBLIC KEY-----\n${lines}\n-----END PUBLIC KEY-----\n`;
}

/** A fresh P-256 signing key. */
export async function newSigningKey(): Promise<SigningKey> {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  );
  const der = new Uint8Array(
    await crypto.subtle.exportKey("spki", pair.publicKey),
  );
  return {
    privateKey: pair.privateKey,
    pem: spkiPem(der),
    id: await sha256Hex(der),
  };
}

/** A key document entry for a PEM public key. */
export async function keyEntry(
  pem: string,
  status: "current" | "previous",
): Promise<Record<string, string>> {
  return {
    id: await sha256Hex(pemToDer(pem)),
    status,
    signing_method: "ES256",
    public_key: pem,
  };
}

/** The text of a verification key document. */
export async function keyDocument(
  generation: number,
  current: string,
  previous?: string,
): Promise<string> {
  const keys = [await keyEntry(current, "current")];
  if (previous !== undefined) keys.push(await keyEntry(previous, "previous"));
  return JSON.stringify({
    version: 1,
    generation,
    previous_key_overlap_seconds: 1860,
    keys,
  });
}

/** Claims of a valid token for `peerId` in `domainId` issued at `iat` (seconds). */
export function claimsFor(
  peerId: string,
  domainId: string,
  iat: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: "p2p-access",
    iss: "dds",
    aud: ["auki-p2p"],
    sub: "00000000-0000-4000-8000-000000000001",
    peer_type: "app",
    peer_id: peerId,
    domain_ids: [domainId],
    scopes: ["domain-data:r"],
    iat,
    exp: iat + TOKEN_LIFETIME_S,
    ...extra,
  };
}

/** Signs claims as an ES256 JWS compact token. */
export async function signToken(
  claims: Record<string, unknown>,
  key: CryptoKey,
): Promise<string> {
  const head = base64url(encoder.encode('{"typ":"JWT","alg":"ES256"}'));
  const body = base64url(encoder.encode(JSON.stringify(claims)));
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    encoder.encode(`${head}.${body}`),
  );
  return `${head}.${body}.${base64url(new Uint8Array(signature))}`;
}
