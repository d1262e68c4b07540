/**
 * Hex of the tests: {@link toHex}, the strict {@link fromHex} and
 * {@link fromSpacedHex} for bytes written with spaces.
 *
 * @module
 */

/** Lowercase hex of the bytes. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes of an even-length hex string; throws on anything else. */
export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
    throw new TypeError(`not a hex byte string: ${hex.slice(0, 40)}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/** Bytes of a hex string written with optional spaces (`10 80 63 ...`). */
export function fromSpacedHex(text: string): Uint8Array {
  return fromHex(text.replaceAll(/\s+/g, ""));
}
