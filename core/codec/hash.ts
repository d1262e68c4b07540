/**
 * XXH3-128 (seed 0) rendered as 32 lowercase hex digits, high 64 bits first:
 * the content hash of registry entries and the wallet derivation
 * (spec wire.md 6.2, cluster.md 6.1).
 *
 * @module
 */
import { createXXHash128 } from "hash-wasm";

const hasher = await createXXHash128();
const encoder = new TextEncoder();

/** XXH3-128 of the bytes (or the UTF-8 of the string) as 32 lowercase hex digits. */
export function xxh3Hex(data: Uint8Array | string): string {
  hasher.init();
  hasher.update(typeof data === "string" ? encoder.encode(data) : data);
  return hasher.digest("hex");
}

/** XXH3-128 of the bytes as 16 raw bytes, high half first. */
export function xxh3Bytes(data: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}
