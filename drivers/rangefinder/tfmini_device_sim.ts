/**
 * A simulated TFmini-S: standard 9-byte frames at a fixed rate, byte for
 * byte, for a target whose distance and signal strength follow a scene
 * over time, with range noise, periodic abnormal readings (each of the
 * TFmini-S manual's error codes in turn) and injected faults.
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
import {
  encodeTfminiFrame,
  TFMINI_SATURATED,
  type TfminiFrame,
} from "./tfmini_protocol.ts";

/** The simulated chip temperature: 35 °C (`raw / 8 - 256`). */
const TFMINI_SIM_TEMPERATURE_RAW = (35 + 256) * 8;
/** Strength of a weak reading: below the manuals' limit of 100. */
export const TFMINI_WEAK_STRENGTH = 40;
/** Strength sent with an ambient-light saturation (-4): an ordinary value. */
export const TFMINI_AMBIENT_STRENGTH = 800;

/**
 * The abnormal readings of the TFmini-S manual's table, in the order the
 * simulator sends them: distance (u16, the int16 code) and strength.
 */
export const TFMINI_SIM_ABNORMAL: readonly TfminiFrame[] = [
  { distanceCm: 0xffff, strength: TFMINI_WEAK_STRENGTH }, // -1: too weak
  { distanceCm: 0xfffe, strength: TFMINI_SATURATED }, // -2: strength saturation
  { distanceCm: 0xfffc, strength: TFMINI_AMBIENT_STRENGTH }, // -4: ambient light
].map((f) => ({ ...f, temperatureRaw: TFMINI_SIM_TEMPERATURE_RAW }));

/** What a simulated TFmini sends. */
export interface TfminiSimOptions {
  /** Frames per second (the TFmini default is 100). */
  rateHz: number;
  /** Standard deviation of distance noise, cm (0: exact). */
  noiseCm: number;
  /** Every `abnormalEvery`-th frame (index divisible by it, from 1) is an abnormal reading, cycling through {@link TFMINI_SIM_ABNORMAL}; 0 for none. */
  abnormalEvery: number;
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
  abnormalEvery: 0,
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

/** Frame `index` of a simulated TFmini; abnormal readings as the TFmini-S reports them. */
export function tfminiSimFrame(
  options: TfminiSimOptions,
  index: number,
): TfminiFrame {
  const every = options.abnormalEvery;
  if (every > 0 && index > 0 && index % every === 0) {
    return TFMINI_SIM_ABNORMAL[
      (index / every - 1) % TFMINI_SIM_ABNORMAL.length
    ];
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
