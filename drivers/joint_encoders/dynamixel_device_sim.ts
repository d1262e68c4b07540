/**
 * A simulated bank of DYNAMIXEL X-series servos on a Protocol 2.0 bus: it
 * answers each Sync Read within its control table's Present Current (126,
 * int16), Present Velocity (128, int32, 0.229 rev/min) and Present
 * Position (132, int32 ticks), e.g. Present Position alone or all three,
 * with one status packet per requested servo it has, in the order
 * requested, byte for byte, positions following a motion over time (the
 * velocity its derivative, the current a function of time), and each Sync
 * Read of Hardware Error Status (address 70, 1 byte). Servos can be made
 * silent (never answer), failing (a set error byte: an error number answers
 * no data, the hardware alert bit 0x80 alone still answers it) or in a
 * hardware error (a Hardware Error Status: every status packet then carries
 * the alert bit, and the status reads back),
 * positions noisy, and answers damaged (bad CRC, cut short, led by
 * garbage). Other instructions, and Sync Reads of other addresses, go
 * unanswered.
 * {@link DynamixelSim} is what `scripts/serial_sims.ts` and the tests
 * attach to a pty with `SimulatedPort`.
 *
 * @module
 */
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
  DXL_BROADCAST_ID,
  DXL_SYNC_READ,
  DxlDecoder,
  HARDWARE_ERROR_STATUS_ADDRESS,
  PRESENT_CURRENT_ADDRESS,
  PRESENT_POSITION_ADDRESS,
  PRESENT_POSITION_SIZE,
  PRESENT_VELOCITY_ADDRESS,
  statusPacket,
  VELOCITY_UNIT_RPM,
} from "./dynamixel_protocol.ts";

/** Bytes of the simulated control table block, Present Current to Present Position. */
const BLOCK_SIZE = PRESENT_POSITION_ADDRESS + PRESENT_POSITION_SIZE -
  PRESENT_CURRENT_ADDRESS;

/** What a simulated bank does. */
export interface DynamixelSimOptions {
  /** The servos on the bus. */
  ids: readonly number[];
  /** Present Position of servo `id` at `t` seconds after start, ticks. */
  motion: (id: number, t: number) => number;
  /** Present Current of servo `id` at `t` seconds, raw units. */
  current: (id: number, t: number) => number;
  /** Standard deviation of position noise, ticks (0: exact). */
  noiseTicks: number;
  /** Servos that never answer. */
  silent: readonly number[];
  /** Error bytes of servos that answer with one (by id). */
  errors: Readonly<Record<number, number>>;
  /** Hardware Error Status of servos in a hardware error (by id). */
  hardwareErrors: Readonly<Record<number, number>>;
  /** Seed of the noise and the faults. */
  seed: number;
  /** Fault probabilities per status packet. */
  faults: FaultRates;
}

/** Servo `id` swinging ±1000 ticks around the middle (2048), a little faster per id. */
export function swingMotion(id: number, t: number): number {
  return Math.round(
    2048 + 1000 * Math.sin(2 * Math.PI * (0.1 + 0.05 * id) * t + id),
  );
}

/** Servo `id`'s current, raw: ±100 units (±269 mA on an XM430) with its swing. */
export function swingCurrent(id: number, t: number): number {
  return Math.round(100 * Math.cos(2 * Math.PI * (0.1 + 0.05 * id) * t + id));
}

/** Present Velocity, raw (0.229 rev/min), of a motion at `t`: its central difference over 1 ms. */
export function motionVelocityRaw(
  motion: (id: number, t: number) => number,
  id: number,
  t: number,
): number {
  const ticksPerS = (motion(id, t + 0.001) - motion(id, t - 0.001)) / 0.002;
  return Math.round(ticksPerS * 60 / 4096 / VELOCITY_UNIT_RPM);
}

/** The default bank: servos 1 to 6 swinging, no noise, silence, errors or faults. */
const DYNAMIXEL_SIM_DEFAULTS: DynamixelSimOptions = {
  ids: [1, 2, 3, 4, 5, 6],
  motion: swingMotion,
  current: swingCurrent,
  noiseTicks: 0,
  silent: [],
  errors: {},
  hardwareErrors: {},
  seed: 1,
  faults: NO_FAULTS,
};

/** One status packet the bank sent. */
export interface SentStatus {
  /** The servo. */
  id: number;
  /** Its error byte. */
  error: number;
  /** The position it reported, ticks. */
  ticks: number;
  /** The velocity it reported (or would have), raw. */
  velocityRaw: number;
  /** The current it reported (or would have), raw. */
  currentRaw: number;
  /** What happened to the packet. */
  fault: Fault;
}

/** A simulated servo bank answering Sync Reads. */
export class DynamixelSim implements ByteSource {
  /** Called with the status packets of every Sync Read answered. */
  onAnswer: ((statuses: SentStatus[]) => void) | undefined;
  /** Hardware Error Status answers sent. */
  statusReads = 0;
  readonly #options: DynamixelSimOptions;
  readonly #requests = new DxlDecoder();
  readonly #faults: FaultInjector;
  #out: Uint8Array[] = [];
  #answered = 0;

  /** A bank with `options` over the defaults. */
  constructor(options: Partial<DynamixelSimOptions> = {}) {
    this.#options = { ...DYNAMIXEL_SIM_DEFAULTS, ...options };
    this.#faults = new FaultInjector(
      this.#options.faults,
      this.#options.seed,
      { headerBytes: 4 },
    );
  }

  /** Faults injected so far. */
  get injected(): FaultInjector["injected"] {
    return this.#faults.injected;
  }

  /** Answers the Sync Reads in `bytes`, received `elapsedMs` after start. */
  receive(bytes: Uint8Array, elapsedMs: number): void {
    for (const packet of this.#requests.push(bytes).packets) {
      const { params } = packet;
      if (
        packet.id !== DXL_BROADCAST_ID ||
        packet.instruction !== DXL_SYNC_READ || params.length < 4
      ) continue;
      const view = new DataView(params.buffer, params.byteOffset, 4);
      const address = view.getUint16(0, true);
      const size = view.getUint16(2, true);
      if (address === HARDWARE_ERROR_STATUS_ADDRESS && size === 1) {
        this.#answerStatus(params.subarray(4));
        continue;
      }
      const from = address - PRESENT_CURRENT_ADDRESS;
      if (from < 0 || size === 0 || from + size > BLOCK_SIZE) continue;
      this.#answer(params.subarray(4), elapsedMs / 1000, from, size);
    }
  }

  /** The status packets queued since the last call. */
  until(_elapsedMs: number): Uint8Array {
    const out = concat(this.#out);
    this.#out = [];
    return out;
  }

  #answer(ids: Uint8Array, t: number, from: number, size: number): void {
    const { motion, current, noiseTicks, silent, seed } = this.#options;
    const index = this.#answered++;
    const statuses: SentStatus[] = [];
    for (const id of ids) {
      if (!this.#options.ids.includes(id) || silent.includes(id)) continue;
      const noise = noiseTicks === 0
        ? 0
        : Math.round(seededRandom(seed, index, id).gaussian(noiseTicks));
      const ticks = motion(id, t) + noise;
      const velocityRaw = motionVelocityRaw(motion, id, t);
      const currentRaw = current(id, t);
      const error = this.#errorByte(id);
      const block = new Uint8Array(BLOCK_SIZE);
      const view = new DataView(block.buffer);
      const at = (address: number) => address - PRESENT_CURRENT_ADDRESS;
      view.setInt16(at(PRESENT_CURRENT_ADDRESS), currentRaw, true);
      view.setInt32(at(PRESENT_VELOCITY_ADDRESS), velocityRaw, true);
      view.setInt32(at(PRESENT_POSITION_ADDRESS), ticks, true);
      const data = block.subarray(from, from + size);
      const { chunk, fault } = this.#faults.damage(
        statusPacket(id, error, (error & 0x7f) === 0 ? data : new Uint8Array()),
      );
      this.#out.push(chunk);
      statuses.push({ id, error, ticks, velocityRaw, currentRaw, fault });
    }
    this.onAnswer?.(statuses);
  }

  /** Servo `id`'s error byte: the configured one, with the alert bit while in a hardware error. */
  #errorByte(id: number): number {
    const { errors, hardwareErrors } = this.#options;
    return (errors[id] ?? 0) | ((hardwareErrors[id] ?? 0) !== 0 ? 0x80 : 0);
  }

  /** Answers a Sync Read of Hardware Error Status for `ids`. */
  #answerStatus(ids: Uint8Array): void {
    const { silent, hardwareErrors } = this.#options;
    for (const id of ids) {
      if (!this.#options.ids.includes(id) || silent.includes(id)) continue;
      const error = this.#errorByte(id);
      const data = Uint8Array.of(hardwareErrors[id] ?? 0);
      this.#out.push(
        statusPacket(id, error, (error & 0x7f) === 0 ? data : new Uint8Array()),
      );
      this.statusReads++;
    }
  }
}
