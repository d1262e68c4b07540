/**
 * One raw Circuit Relay v2 `RESERVE` on the HOP protocol, read back in
 * full: the status and the limit the relay applies to circuits (the relay
 * transport keeps the reservation but drops the limit, which a DMS slot
 * must match, genb.md 5).
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { OVER_RELAYS } from "../protocols/ids.ts";

/** The HOP protocol id. */
export const HOP = "/libp2p/circuit/relay/0.2.0/hop";
/** A HopMessage { type: RESERVE }, length-prefixed. */
const RESERVE = new Uint8Array([2, 0x08, 0x00]);
/** Largest HOP answer read, bytes. */
const MAX_ANSWER_BYTES = 4096;

/** HOP statuses a reservation is answered with. */
export const HOP_STATUS = {
  OK: 100,
  RESERVATION_REFUSED: 200,
  PERMISSION_DENIED: 202,
} as const;

/** The limit a relay applies to each circuit, as its HOP answer states it. */
export interface HopLimit {
  /** The `duration` field (seconds on the wire; see decision 106). */
  duration?: number;
  /** The `data` field: bytes per direction. */
  data?: bigint;
}

/** A relay's answer to `RESERVE`. */
export interface HopAnswer {
  /** The HOP status (100 = OK). */
  status: number;
  /** The limit, when the relay sent one. */
  limit?: HopLimit;
}

/** Reads a varint at `at`: its value and the offset after it. */
function varint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    if (at >= bytes.length) throw new Error("truncated HOP message");
    const byte = bytes[at++];
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (byte < 0x80) return [value, at];
    if (shift > 63n) throw new Error("HOP varint too long");
  }
}

/** The varint and length-delimited fields of a protobuf message, by number. */
function fields(
  bytes: Uint8Array,
): Map<number, bigint | Uint8Array> {
  const out = new Map<number, bigint | Uint8Array>();
  let at = 0;
  while (at < bytes.length) {
    let key: bigint;
    [key, at] = varint(bytes, at);
    const wire = Number(key & 7n);
    const field = Number(key >> 3n);
    if (wire === 0) {
      let value: bigint;
      [value, at] = varint(bytes, at);
      out.set(field, value);
    } else if (wire === 2) {
      let length: bigint;
      [length, at] = varint(bytes, at);
      const end = at + Number(length);
      if (end > bytes.length) throw new Error("truncated HOP message");
      out.set(field, bytes.subarray(at, end));
      at = end;
    } else {
      throw new Error(`unexpected wire type ${wire} in a HOP message`);
    }
  }
  return out;
}

/** Decodes a HopMessage body (without its length prefix). */
export function decodeHopAnswer(body: Uint8Array): HopAnswer {
  const message = fields(body);
  const status = message.get(5);
  if (typeof status !== "bigint") {
    throw new Error("no status in the relay's answer");
  }
  const limitBytes = message.get(4);
  if (!(limitBytes instanceof Uint8Array)) return { status: Number(status) };
  const limit = fields(limitBytes);
  const duration = limit.get(1);
  const data = limit.get(2);
  return {
    status: Number(status),
    limit: {
      ...(typeof duration === "bigint" ? { duration: Number(duration) } : {}),
      ...(typeof data === "bigint" ? { data } : {}),
    },
  };
}

/**
 * Sends `RESERVE` from `peer` to `relay` (dialing it when not connected)
 * and returns the answer.
 */
export async function hopReserve(
  peer: Libp2p,
  relay: Multiaddr,
  signal: AbortSignal,
): Promise<HopAnswer> {
  const stream = await peer.dialProtocol(relay, HOP, {
    signal,
    ...OVER_RELAYS,
  });
  try {
    stream.send(RESERVE);
    let bytes = new Uint8Array(0);
    for await (const chunk of stream) {
      const more = chunk.subarray();
      const joined = new Uint8Array(bytes.length + more.length);
      joined.set(bytes);
      joined.set(more, bytes.length);
      bytes = joined;
      if (bytes.length > MAX_ANSWER_BYTES) {
        throw new Error("the relay's HOP answer is too large");
      }
      let length: bigint;
      let at: number;
      try {
        [length, at] = varint(bytes, 0);
      } catch {
        continue;
      }
      if (at + Number(length) <= bytes.length) {
        await stream.close().catch(() => {});
        return decodeHopAnswer(bytes.subarray(at, at + Number(length)));
      }
      signal.throwIfAborted();
    }
    throw new Error("the relay ended the stream without an answer");
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}
