/**
 * A simulated bank of DYNAMIXEL X-series servos on a Protocol 2.0 bus: it
 * answers each Sync Read of Present Position (address 132, 4 bytes) with
 * one status packet per requested servo it has, in the order requested,
 * byte for byte, positions following a motion over time. Servos can be
 * made silent (never answer) or failing (a set error byte), positions
 * noisy, and answers damaged (bad CRC, cut short, led by garbage). Other
 * instructions, and Sync Reads of other addresses, go unanswered.
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
  PRESENT_POSITION_ADDRESS,
  PRESENT_POSITION_SIZE,
  statusPacket,
} from "./dynamixel_protocol.ts";

/** What a simulated bank does. */
export interface DynamixelSimOptions {
  /** The servos on the bus. */
  ids: readonly number[];
  /** Present Position of servo `id` at `t` seconds after start, ticks. */
  motion: (id: number, t: number) => number;
  /** Standard deviation of position noise, ticks (0: exact). */
  noiseTicks: number;
  /** Servos that never answer. */
  silent: readonly number[];
  /** Error bytes of servos that answer with one (by id). */
  errors: Readonly<Record<number, number>>;
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

/** The default bank: servos 1 to 6 swinging, no noise, silence, errors or faults. */
const DYNAMIXEL_SIM_DEFAULTS: DynamixelSimOptions = {
  ids: [1, 2, 3, 4, 5, 6],
  motion: swingMotion,
  noiseTicks: 0,
  silent: [],
  errors: {},
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
  /** What happened to the packet. */
  fault: Fault;
}

/** A simulated servo bank answering Sync Reads. */
export class DynamixelSim implements ByteSource {
  /** Called with the status packets of every Sync Read answered. */
  onAnswer: ((statuses: SentStatus[]) => void) | undefined;
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
      if (
        view.getUint16(0, true) !== PRESENT_POSITION_ADDRESS ||
        view.getUint16(2, true) !== PRESENT_POSITION_SIZE
      ) continue;
      this.#answer(params.subarray(4), elapsedMs / 1000);
    }
  }

  /** The status packets queued since the last call. */
  until(_elapsedMs: number): Uint8Array {
    const out = concat(this.#out);
    this.#out = [];
    return out;
  }

  #answer(ids: Uint8Array, t: number): void {
    const { motion, noiseTicks, silent, errors, seed } = this.#options;
    const index = this.#answered++;
    const statuses: SentStatus[] = [];
    for (const id of ids) {
      if (!this.#options.ids.includes(id) || silent.includes(id)) continue;
      const noise = noiseTicks === 0
        ? 0
        : Math.round(seededRandom(seed, index, id).gaussian(noiseTicks));
      const ticks = motion(id, t) + noise;
      const error = errors[id] ?? 0;
      const data = new Uint8Array(PRESENT_POSITION_SIZE);
      new DataView(data.buffer).setInt32(0, ticks, true);
      const { chunk, fault } = this.#faults.damage(
        statusPacket(id, error, (error & 0x7f) === 0 ? data : new Uint8Array()),
      );
      this.#out.push(chunk);
      statuses.push({ id, error, ticks, fault });
    }
    this.onAnswer?.(statuses);
  }
}
