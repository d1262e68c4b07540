/**
 * The transmit side of a simulated serial device: packets at a fixed rate
 * from a pure `packet(index)` function, with injected faults (a wrong
 * checksum, a packet cut short, garbage bytes before a packet), seeded so a
 * run is repeatable. {@link FaultInjector} damages single packets for
 * devices that answer requests.
 *
 * @module
 */
import { type Random, seededRandom } from "../sim/random.ts";

/** Probabilities, per packet, of each fault (0 to 1). */
export interface FaultRates {
  /** The integrity check fails (by default the last byte, the checksum, is wrong). */
  checksum: number;
  /** The packet is cut short (at least its header bytes are kept). */
  partial: number;
  /** 1 to 16 random bytes come before the packet. */
  garbage: number;
}

/** No faults. */
export const NO_FAULTS: FaultRates = { checksum: 0, partial: 0, garbage: 0 };

/** What happened to one packet on its way out. */
export type Fault = "none" | "checksum" | "partial";

/** A device's output over time, and for devices that answer requests, its input. */
export interface ByteSource {
  /** The bytes transmitted since the previous call, up to `elapsedMs` after start. */
  until(elapsedMs: number): Uint8Array;
  /** Optional: bytes the device received (as its UART read them) at `elapsedMs`; answers go out through `until`. */
  receive?(bytes: Uint8Array, elapsedMs: number): void;
}

/** A packet and its bytes. */
export interface Encoded<P> {
  /** The packet as the simulator meant it. */
  packet: P;
  /** Its bytes on the wire. */
  bytes: Uint8Array;
}

/** How a protocol's packets are damaged (defaults suit a packet ending in its checksum). */
export interface DamageOptions {
  /** Makes a copy of `bytes` that the protocol's integrity check rejects (default: the last byte changed). */
  corrupt?: (bytes: Uint8Array, random: Random) => Uint8Array;
  /** Bytes a cut packet keeps at least (default 2, a two-byte header). */
  headerBytes?: number;
}

/** Damages packets at `rates`, seeded, counting what it injected. */
export class FaultInjector {
  /** Faults injected so far. */
  readonly injected = { checksum: 0, partial: 0, garbage: 0 };
  readonly #rates: FaultRates;
  readonly #random: Random;
  readonly #corrupt: (bytes: Uint8Array, random: Random) => Uint8Array;
  readonly #headerBytes: number;

  /** An injector of faults at `rates`, seeded by `seed`. */
  constructor(rates: FaultRates, seed: number, options: DamageOptions = {}) {
    this.#rates = rates;
    this.#random = seededRandom(seed, 0x5e41a1);
    this.#corrupt = options.corrupt ?? flipLastByte;
    this.#headerBytes = options.headerBytes ?? 2;
  }

  /** `bytes` as they leave the device: maybe led by garbage, corrupted or cut. */
  damage(bytes: Uint8Array): { chunk: Uint8Array; fault: Fault } {
    const random = this.#random;
    let garbage = new Uint8Array(0);
    if (random.next() < this.#rates.garbage) {
      garbage = Uint8Array.from(
        { length: 1 + Math.floor(random.next() * 16) },
        () => Math.floor(random.next() * 256),
      );
      this.injected.garbage++;
    }
    let fault: Fault = "none";
    let body = bytes;
    if (random.next() < this.#rates.checksum) {
      body = this.#corrupt(bytes, random);
      fault = "checksum";
      this.injected.checksum++;
    } else if (random.next() < this.#rates.partial) {
      const keep = Math.min(this.#headerBytes, bytes.length - 1);
      body = bytes.subarray(
        0,
        keep + Math.floor(random.next() * (bytes.length - keep)),
      );
      fault = "partial";
      this.injected.partial++;
    }
    return { chunk: concat([garbage, body]), fault };
  }
}

/** Packets `0, 1, 2, ...` at `rateHz`, with faults injected at `rates`. */
export class PacketSource<P> implements ByteSource {
  /** Called for every packet sent, with its fault. */
  onPacket: ((packet: P, fault: Fault) => void) | undefined;
  readonly #rateHz: number;
  readonly #make: (index: number) => Encoded<P>;
  readonly #faults: FaultInjector;
  #next = 0;

  /** A source of `make(index)` at `rateHz`, faults seeded by `seed` and shaped by `damage`. */
  constructor(
    rateHz: number,
    make: (index: number) => Encoded<P>,
    rates: FaultRates,
    seed: number,
    damage: DamageOptions = {},
  ) {
    if (!(rateHz > 0)) throw new RangeError(`rate must be > 0, got ${rateHz}`);
    this.#rateHz = rateHz;
    this.#make = make;
    this.#faults = new FaultInjector(rates, seed, damage);
  }

  /** Faults injected so far. */
  get injected(): FaultInjector["injected"] {
    return this.#faults.injected;
  }

  /** The bytes of every packet due by `elapsedMs`. */
  until(elapsedMs: number): Uint8Array {
    const due = Math.floor(elapsedMs * this.#rateHz / 1000) + 1;
    const chunks: Uint8Array[] = [];
    for (; this.#next < due; this.#next++) {
      const { packet, bytes } = this.#make(this.#next);
      const { chunk, fault } = this.#faults.damage(bytes);
      chunks.push(chunk);
      this.onPacket?.(packet, fault);
    }
    return concat(chunks);
  }
}

function flipLastByte(bytes: Uint8Array, random: Random): Uint8Array {
  const body = bytes.slice();
  body[body.length - 1] ^= 1 + Math.floor(random.next() * 255);
  return body;
}

/** `chunks` joined into one array. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
