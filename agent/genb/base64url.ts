/**
 * Unpadded base64url (RFC 4648 section 5), as JWS and the DDS p2p endpoints
 * write it; decoding refuses padding and characters outside the alphabet.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Unpadded base64url of the bytes. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** Bytes of unpadded base64url text; throws on anything else. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new TypeError("not unpadded base64url");
  }
  return new Uint8Array(Buffer.from(text, "base64url"));
}
