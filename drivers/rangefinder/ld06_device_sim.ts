/**
 * A simulated LD06: the packets a real one sends, byte for byte, for a
 * scene given as range by angle, with configurable rotation speed, point
 * rate, range noise and injected faults. {@link ld06Source} is what
 * `scripts/serial_sims.ts` and the tests attach to a pty with
 * `SimulatedPort`.
 *
 * Packet `n` covers points `12n ... 12n + 11`; point `k` is at
 * `k * speed / pointRate` degrees. The start and end angles are rounded to
 * the protocol's 0.01 degree, and each point's range is the scene's at the
 * angle a receiver reconstructs from them ({@link pointAngleDeg}), so a
 * decoder must reproduce the scene exactly when there is no noise.
 *
 * @module
 */
import { seededRandom } from "../sim/random.ts";
import {
  encodeLd06Packet,
  LD06_POINTS_PER_PACKET,
  LD06_TIMESTAMP_WRAP_MS,
  type Ld06Measurement,
  type Ld06Packet,
  pointAngleDeg,
} from "./ld06_protocol.ts";
import {
  type FaultRates,
  NO_FAULTS,
  PacketSource,
} from "../serial/packet_source.ts";

/** The default scene's room: walls around the lidar, meters from it. */
const LD06_ROOM = {
  front: 3,
  back: 2,
  left: 1.5,
  right: 2.5,
  /** LD06 angles (clockwise from the front, degrees) looking out of a doorway: no return. */
  doorwayFrom: 80,
  doorwayTo: 95,
} as const;

/** What a simulated LD06 sends. */
export interface Ld06SimOptions {
  /** Turns per second (the LD06 runs at 10). */
  rotationHz: number;
  /** Measurements per second (the LD06 makes 4500). */
  pointRate: number;
  /** Standard deviation of range noise, mm (0: exact). */
  noiseMm: number;
  /** Seed of the noise and the faults. */
  seed: number;
  /** Fault probabilities per packet. */
  faults: FaultRates;
  /** Range and intensity by LD06 angle (degrees clockwise from the front). */
  scene: (angleDeg: number) => Ld06Measurement;
}

/** The default options: an LD06 at 10 Hz and 4500 points/s in {@link LD06_ROOM}, no noise or faults. */
export const LD06_SIM_DEFAULTS: Ld06SimOptions = {
  rotationHz: 10,
  pointRate: 4500,
  noiseMm: 0,
  seed: 1,
  faults: NO_FAULTS,
  scene: roomScene,
};

/** The range to the walls of {@link LD06_ROOM} at an LD06 angle; no return through the doorway. */
export function roomScene(angleDeg: number): Ld06Measurement {
  if (angleDeg >= LD06_ROOM.doorwayFrom && angleDeg < LD06_ROOM.doorwayTo) {
    return { distanceMm: 0, intensity: 0 };
  }
  const a = angleDeg * Math.PI / 180;
  const forward = Math.cos(a);
  const right = Math.sin(a); // clockwise: positive angles turn right
  const hits = [
    forward > 0 ? LD06_ROOM.front / forward : Infinity,
    forward < 0 ? LD06_ROOM.back / -forward : Infinity,
    right > 0 ? LD06_ROOM.right / right : Infinity,
    right < 0 ? LD06_ROOM.left / -right : Infinity,
  ];
  const range = Math.min(...hits);
  const cosine = Math.abs(
    range === hits[0] || range === hits[1] ? forward : right,
  );
  return {
    distanceMm: Math.round(range * 1000),
    intensity: Math.round(100 + 150 * cosine),
  };
}

/** Packet `index` of a simulated LD06. */
export function ld06SimPacket(
  options: Ld06SimOptions,
  index: number,
): Ld06Packet {
  const speed = 360 * options.rotationHz;
  const step = speed / options.pointRate;
  const first = index * LD06_POINTS_PER_PACKET;
  const centi = (degrees: number) => Math.round(degrees * 100) % 36000;
  const packet = {
    speedDegPerS: Math.round(speed),
    startAngle: centi((first * step) % 360),
    endAngle: centi(((first + LD06_POINTS_PER_PACKET - 1) * step) % 360),
    timestampMs: Math.floor(first * 1000 / options.pointRate) %
      LD06_TIMESTAMP_WRAP_MS,
  };
  const random = seededRandom(options.seed, index);
  const points = Array.from({ length: LD06_POINTS_PER_PACKET }, (_, i) => {
    const exact = options.scene(pointAngleDeg(packet, i));
    if (exact.distanceMm === 0 || options.noiseMm === 0) return exact;
    const noisy = Math.round(
      exact.distanceMm + random.gaussian(options.noiseMm),
    );
    return { ...exact, distanceMm: Math.min(0xffff, Math.max(1, noisy)) };
  });
  return { ...packet, points };
}

/** A simulated LD06's output: packets at `pointRate / 12` per second. */
export function ld06Source(
  options: Partial<Ld06SimOptions> = {},
): PacketSource<Ld06Packet> {
  const full = { ...LD06_SIM_DEFAULTS, ...options };
  return new PacketSource(
    full.pointRate / LD06_POINTS_PER_PACKET,
    (index) => {
      const packet = ld06SimPacket(full, index);
      return { packet, bytes: encodeLd06Packet(packet) };
    },
    full.faults,
    full.seed,
  );
}
