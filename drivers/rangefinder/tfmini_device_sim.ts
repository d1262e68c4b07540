/**
 * A simulated TFmini-S: standard 9-byte frames at a fixed rate, byte for
 * byte, for a target whose distance and signal strength follow a scene
 * over time, with range noise, periodic weak readings and injected faults.
 * {@link tfminiSource} is what `scripts/serial_sims.ts` and the tests
 * attach to a pty with `SimulatedPort`.
 *
 * @module
 */
import { seededRandom } from "../sim/random.ts";
import {
  type FaultRates,
  NO_FAULTS,
  PacketSource,
} from "../serial/packet_source.ts";
import { encodeTfminiFrame, type TfminiFrame } from "./tfmini_protocol.ts";

/** The simulated chip temperature: 35 °C (`raw / 8 - 256`). */
const TFMINI_SIM_TEMPERATURE_RAW = (35 + 256) * 8;
/** Strength of a weak reading: below the manuals' limit of 100. */
export const TFMINI_WEAK_STRENGTH = 40;

/** What a simulated TFmini sends. */
export interface TfminiSimOptions {
  /** Frames per second (the TFmini default is 100). */
  rateHz: number;
  /** Standard deviation of distance noise, cm (0: exact). */
  noiseCm: number;
  /** Every `weakEvery`-th frame (index divisible by it, from 1) is a weak reading; 0 for none. */
  weakEvery: number;
  /** Seed of the noise and the faults. */
  seed: number;
  /** Fault probabilities per frame. */
  faults: FaultRates;
  /** Distance (cm) and strength of the target `t` seconds after start. */
  scene: (t: number) => { distanceCm: number; strength: number };
}

/** The default options: 100 Hz, a target swinging between 0.5 and 2.5 m every 4 s. */
export const TFMINI_SIM_DEFAULTS: TfminiSimOptions = {
  rateHz: 100,
  noiseCm: 0,
  weakEvery: 0,
  seed: 1,
  faults: NO_FAULTS,
  scene: swingScene,
};

/** A target swinging between 0.5 and 2.5 m every 4 s, weaker when farther. */
export function swingScene(
  t: number,
): { distanceCm: number; strength: number } {
  const distanceCm = Math.round(150 + 100 * Math.sin(2 * Math.PI * t / 4));
  return { distanceCm, strength: Math.round(300_000 / distanceCm) };
}

/** Frame `index` of a simulated TFmini. A weak reading reads 65535 (-1), as the TFmini-S reports it. */
export function tfminiSimFrame(
  options: TfminiSimOptions,
  index: number,
): TfminiFrame {
  if (options.weakEvery > 0 && index > 0 && index % options.weakEvery === 0) {
    return {
      distanceCm: 0xffff,
      strength: TFMINI_WEAK_STRENGTH,
      temperatureRaw: TFMINI_SIM_TEMPERATURE_RAW,
    };
  }
  const { distanceCm, strength } = options.scene(index / options.rateHz);
  const noise = options.noiseCm === 0
    ? 0
    : Math.round(seededRandom(options.seed, index).gaussian(options.noiseCm));
  return {
    distanceCm: Math.min(0xfffe, Math.max(1, distanceCm + noise)),
    strength,
    temperatureRaw: TFMINI_SIM_TEMPERATURE_RAW,
  };
}

/** A simulated TFmini's output: frames at `rateHz`. */
export function tfminiSource(
  options: Partial<TfminiSimOptions> = {},
): PacketSource<TfminiFrame> {
  const full = { ...TFMINI_SIM_DEFAULTS, ...options };
  return new PacketSource(
    full.rateHz,
    (index) => {
      const frame = tfminiSimFrame(full, index);
      return { packet: frame, bytes: encodeTfminiFrame(frame) };
    },
    full.faults,
    full.seed,
  );
}
