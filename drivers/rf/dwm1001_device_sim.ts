/**
 * A simulated DWM1001 tag on its UART TLV API: every `dwm_loc_get` (`0C 00`)
 * it receives is answered, byte for byte, with its error code, its position
 * estimate and its ranges to the anchors, for a tag moving along a path
 * among surveyed anchors (by default the `sim.uwb` room and path), with
 * range and position noise, error answers (one code always, or every
 * guide error code in turn every few requests), a tag update rate (polled
 * faster, it answers its last location again, as the real tag does) and
 * damaged answers.
 * The TLV API has no checksum, so a "checksum" fault breaks the framing (a
 * TLV type byte), the only corruption a host can see. Other requests go
 * unanswered. {@link Dwm1001Sim} is what `scripts/serial_sims.ts` and the
 * tests attach to a pty with `SimulatedPort`.
 *
 * @module
 */
import type { Random } from "../sim/random.ts";
import { seededRandom } from "../sim/random.ts";
import {
  type ByteSource,
  concat,
  type Fault,
  FaultInjector,
  type FaultRates,
  NO_FAULTS,
} from "../serial/packet_source.ts";
import {
  DWM_LOC_GET,
  type DwmLocation,
  encodeError,
  encodeLocation,
} from "./dwm1001_protocol.ts";
import {
  DEFAULT_ANCHORS,
  distance,
  type Point3,
  tagPosition,
} from "./sim_uwb.ts";

/** An anchor with its 16-bit UWB address, at a position in meters. */
export interface SimAnchor extends Point3 {
  /** UWB address. */
  address: number;
}

/** What a simulated tag does. */
export interface Dwm1001SimOptions {
  /** The anchors it ranges to. */
  anchors: readonly SimAnchor[];
  /** The tag's true position at `t` seconds, meters. */
  path: (t: number) => Point3;
  /** Standard deviation of range noise, mm (0: exact). */
  rangeNoiseMm: number;
  /** Standard deviation of position noise per axis, mm (0: exact). */
  positionNoiseMm: number;
  /** Quality factor of the position estimate, 0-100 (0: no estimate). */
  positionQuality: number;
  /** Answer every request with this error code instead (0: answer normally). */
  error: number;
  /** Every `errorEvery`-th request (from 1) is answered with the next of the guide's error codes 1 to 5 in turn (0: none). */
  errorEvery: number;
  /** Locations the tag computes a second; between two it answers the last one again (0: a new one per request). */
  updateRateHz: number;
  /** Seed of the noise and the faults. */
  seed: number;
  /** Fault probabilities per answer. */
  faults: FaultRates;
}

/** The default tag: `sim.uwb`'s anchors and path, no noise, quality 90, no faults. */
export const DWM1001_SIM_DEFAULTS: Dwm1001SimOptions = {
  anchors: DEFAULT_ANCHORS.map((a) => ({ ...a, address: parseInt(a.id, 16) })),
  path: tagPosition,
  rangeNoiseMm: 0,
  positionNoiseMm: 0,
  positionQuality: 90,
  error: 0,
  errorEvery: 0,
  updateRateHz: 0,
  seed: 1,
  faults: NO_FAULTS,
};

/** The answer of a tag at `t` seconds (answer `index`, for the noise). */
export function simulatedLocation(
  options: Dwm1001SimOptions,
  index: number,
  t: number,
): DwmLocation {
  const random = seededRandom(options.seed, index);
  const tag = options.path(t);
  const mm = (meters: number) => Math.round(meters * 1000);
  return {
    position: {
      x: mm(tag.x) + noise(random, options.positionNoiseMm),
      y: mm(tag.y) + noise(random, options.positionNoiseMm),
      z: mm(tag.z) + noise(random, options.positionNoiseMm),
      quality: options.positionQuality,
    },
    anchors: options.anchors.map((anchor) => {
      const range = distance(tag, anchor);
      return {
        address: anchor.address,
        distanceMm: Math.max(
          0,
          mm(range) + noise(random, options.rangeNoiseMm),
        ),
        quality: Math.max(0, Math.min(100, Math.round(100 - 4 * range))),
        position: {
          x: mm(anchor.x),
          y: mm(anchor.y),
          z: mm(anchor.z),
          quality: 100,
        },
      };
    }),
  };
}

/** A simulated DWM1001 tag answering `dwm_loc_get`. */
export class Dwm1001Sim implements ByteSource {
  /** Called with every location answered, what happened to it, and whether it repeats the previous one. */
  onAnswer:
    | ((location: DwmLocation, fault: Fault, repeat: boolean) => void)
    | undefined;
  /** Called with every error code answered. */
  onError: ((code: number) => void) | undefined;
  readonly #options: Dwm1001SimOptions;
  readonly #faults: FaultInjector;
  #out: Uint8Array[] = [];
  #answered = 0;
  #requests = 0;
  #errorsSent = 0;
  /** The last location computed, by update slot, when the tag has an update rate. */
  #last: { slot: number; location: DwmLocation } | undefined;
  /** A request type byte waiting for its length byte. */
  #typePending = false;

  /** A tag with `options` over the defaults. */
  constructor(options: Partial<Dwm1001SimOptions> = {}) {
    this.#options = { ...DWM1001_SIM_DEFAULTS, ...options };
    this.#faults = new FaultInjector(
      this.#options.faults,
      this.#options.seed,
      { corrupt: breakFraming, headerBytes: 3 },
    );
  }

  /** Faults injected so far. */
  get injected(): FaultInjector["injected"] {
    return this.#faults.injected;
  }

  /** Answers every `0C 00` in `bytes`, received `elapsedMs` after start. */
  receive(bytes: Uint8Array, elapsedMs: number): void {
    for (const byte of bytes) {
      if (this.#typePending && byte === 0) this.#answer(elapsedMs / 1000);
      this.#typePending = byte === DWM_LOC_GET;
    }
  }

  /** The answers queued since the last call. */
  until(_elapsedMs: number): Uint8Array {
    const out = concat(this.#out);
    this.#out = [];
    return out;
  }

  #answer(t: number): void {
    const { error, errorEvery, updateRateHz } = this.#options;
    this.#requests++;
    if (error !== 0) {
      this.#sendError(error);
      return;
    }
    if (errorEvery > 0 && this.#requests % errorEvery === 0) {
      this.#sendError(1 + this.#errorsSent % 5);
      return;
    }
    let location: DwmLocation;
    let repeat = false;
    if (updateRateHz > 0) {
      const slot = Math.floor(t * updateRateHz);
      repeat = this.#last?.slot === slot;
      if (!repeat) {
        this.#last = {
          slot,
          location: simulatedLocation(
            this.#options,
            this.#answered++,
            slot / updateRateHz,
          ),
        };
      }
      location = this.#last!.location;
    } else {
      location = simulatedLocation(this.#options, this.#answered++, t);
    }
    const { chunk, fault } = this.#faults.damage(encodeLocation(location));
    this.#out.push(chunk);
    this.onAnswer?.(location, fault, repeat);
  }

  #sendError(code: number): void {
    this.#errorsSent++;
    this.#out.push(encodeError(code));
    this.onError?.(code);
  }
}

function noise(random: Random, stdDev: number): number {
  return stdDev === 0 ? 0 : Math.round(random.gaussian(stdDev));
}

/** The answer with its position or anchor-list TLV type byte changed. */
function breakFraming(bytes: Uint8Array, random: Random): Uint8Array {
  const body = bytes.slice();
  body[random.next() < 0.5 ? 3 : 18] ^= 0x80;
  return body;
}
