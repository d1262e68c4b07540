/**
 * The DDS verification key ring (spec genb.md 2.5): the documents of
 * `GET {dds}/service/p2p-verification-keys`, installed under the ring rules
 * (monotonic generation, byte-identical within a generation, a rotated-out
 * current key kept as `previous`), and refused for verification once not
 * refreshed for an hour.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { z } from "zod";

/** Keys not refreshed for longer than this are stale, ms. */
export const KEYS_STALE_AFTER_MS = 60 * 60 * 1000;
/** The smallest overlap a key document may announce, seconds. */
export const MIN_OVERLAP_S = 1860;

/** A verification key document. */
export const KeyDocument = z.object({
  version: z.literal(1),
  generation: z.number().int().positive(),
  previous_key_overlap_seconds: z.number().int().min(MIN_OVERLAP_S),
  keys: z.array(z.object({
    id: z.string().regex(/^[0-9a-f]{64}$/),
    status: z.enum(["current", "previous"]),
    signing_method: z.literal("ES256"),
    public_key: z.string(),
  })).min(1).max(2),
});
/** A verification key document. */
export type KeyDocument = z.infer<typeof KeyDocument>;

/** A key document that cannot be installed, or a ring that cannot verify. */
export class KeyRingError extends Error {
  /** Creates the error; `reason` is one word for logs and tests. */
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = "KeyRingError";
  }
}

/** DER bytes of a PEM `PUBLIC KEY` block. */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const match =
    /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/
      .exec(pem);
  if (match === null) throw new TypeError("not a PEM public key");
  return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ""), "base64"));
}

/** Lowercase hex SHA-256 of the bytes: a key id is that of its SPKI DER. */
export async function sha256Hex(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Imports a PEM SPKI P-256 public key for ES256 verification. */
async function importVerificationKey(pem: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "spki",
    pemToDer(pem),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
}

interface Installed {
  text: string;
  document: KeyDocument;
  current: string;
  keys: CryptoKey[];
}

/** The verifier's key ring. */
export class KeyRing {
  #installed: Installed | undefined;
  #refreshedAt = -Infinity;

  /** The installed generation, 0 before the first document. */
  get generation(): number {
    return this.#installed?.document.generation ?? 0;
  }

  /** When keys were last installed or confirmed, ms since the epoch. */
  get refreshedAt(): number {
    return this.#refreshedAt;
  }

  /**
   * Installs a key document (its exact response text) fetched at `nowMs`.
   * Throws {@link KeyRingError} and keeps the installed keys when the
   * document breaks the ring rules.
   */
  async install(text: string, nowMs: number = Date.now()): Promise<void> {
    let document: KeyDocument;
    try {
      document = KeyDocument.parse(JSON.parse(text));
    } catch {
      throw new KeyRingError(
        "malformed",
        "verification keys: not a key document",
      );
    }
    const current = document.keys.filter((k) => k.status === "current");
    if (current.length !== 1 || document.keys.length - 1 > 1) {
      throw new KeyRingError(
        "malformed",
        "verification keys: need exactly one current and at most one previous key",
      );
    }
    const installed = this.#installed;
    const fresh = nowMs - this.#refreshedAt <= KEYS_STALE_AFTER_MS;
    if (installed !== undefined) {
      const was = installed.document.generation;
      if (document.generation < was) {
        throw new KeyRingError(
          "generation",
          `verification keys: generation ${document.generation} is older than the installed ${was}`,
        );
      }
      if (document.generation === was) {
        if (text !== installed.text) {
          throw new KeyRingError(
            "generation",
            `verification keys: generation ${was} changed without a new generation`,
          );
        }
        this.#refreshedAt = nowMs;
        return;
      }
      const kept = document.keys.some((k) => k.id === installed.current);
      if (fresh && current[0].id !== installed.current && !kept) {
        throw new KeyRingError(
          "rotation",
          `verification keys: generation ${document.generation} dropped the current key ${installed.current} without keeping it as previous`,
        );
      }
    }
    const keys: CryptoKey[] = [];
    for (const entry of document.keys) {
      let der: Uint8Array<ArrayBuffer>;
      try {
        der = pemToDer(entry.public_key);
      } catch {
        throw new KeyRingError(
          "malformed",
          `verification key ${entry.id}: not PEM`,
        );
      }
      if (await sha256Hex(der) !== entry.id) {
        throw new KeyRingError(
          "key_id",
          `verification key ${entry.id}: id is not the SHA-256 of its SPKI`,
        );
      }
      try {
        keys.push(await importVerificationKey(entry.public_key));
      } catch {
        throw new KeyRingError(
          "malformed",
          `verification key ${entry.id}: not a P-256 key`,
        );
      }
    }
    this.#installed = { text, document, current: current[0].id, keys };
    this.#refreshedAt = nowMs;
  }

  /** The keys to verify with at `nowMs`; throws when none are installed or they are stale. */
  keys(nowMs: number = Date.now()): readonly CryptoKey[] {
    if (this.#installed === undefined) {
      throw new KeyRingError("stale", "no verification keys fetched yet");
    }
    if (nowMs - this.#refreshedAt > KEYS_STALE_AFTER_MS) {
      throw new KeyRingError(
        "stale",
        "verification keys not refreshed for over 60 minutes",
      );
    }
    return this.#installed.keys;
  }
}
