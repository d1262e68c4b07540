/**
 * A simulated RPLIDAR A1/A2 in standard scan mode that behaves like the
 * device on its serial line: idle until asked, answering GET_HEALTH and
 * GET_INFO with their descriptors and data, streaming measurement nodes
 * only after SCAN (descriptor first) and until STOP or RESET, and ignoring
 * other requests while scanning. Nodes cover a scene given as range by
 * angle (by default the LD06 simulator's room) at a configurable rotation
 * and sample rate, with range noise and damaged nodes (a cleared check
 * bit, which is what a node has instead of a checksum; cut nodes; garbage).
 * The health status can be set to warning or error; in error it does not
 * scan (a protection stop) until its health is good. {@link RplidarSim} is
 * what `scripts/serial_sims.ts` and the tests attach to a pty with
 * `SimulatedPort`.
 *
 * Node `k` is at angle `k * 360 * rotationHz / sampleRate` (mod 360),
 * rounded to the protocol's 1/64 degree; it carries the start flag when it
 * begins a turn (and node 0 does). Its range is the scene's at the angle a
 * receiver decodes, rounded to the protocol's 1/4 mm.
 *
 * @module
 */
import type { Random } from "../sim/random.ts";
import { seededRandom } from "../sim/random.ts";
import {
  type ByteSource,
  concat,
  type Fault,
  type FaultRates,
  NO_FAULTS,
  PacketSource,
} from "../serial/packet_source.ts";
import { roomScene } from "./ld06_device_sim.ts";
import {
  ANGLE_Q6_TURN,
  type DeviceInfo,
  encodeDescriptor,
  encodeHealth,
  encodeInfo,
  encodeNode,
  type Health,
  HEALTH_DESCRIPTOR,
  INFO_DESCRIPTOR,
  RPLIDAR_SYNC,
  RplidarCommand,
  type RplidarNode,
  SCAN_DESCRIPTOR,
} from "./rplidar_protocol.ts";

/** What a simulated RPLIDAR does. */
export interface RplidarSimOptions {
  /** Turns per second (an A1 runs at about 5.5, an A2 at 10). */
  rotationHz: number;
  /** Nodes per second (standard scan: 2000). */
  sampleRate: number;
  /** Standard deviation of range noise, mm (0: exact). */
  noiseMm: number;
  /** Its health answer. */
  health: Health;
  /** Its GET_INFO answer. */
  info: DeviceInfo;
  /** Seed of the noise and the faults. */
  seed: number;
  /** Fault probabilities per node. */
  faults: FaultRates;
  /** Range (mm, 0 for no return) and quality (0-63) by angle, degrees clockwise from the front. */
  scene: (angleDeg: number) => { distanceMm: number; quality: number };
}

/** The LD06 simulator's room, with its intensity scaled to RPLIDAR quality (0-63). */
export function roomQualityScene(
  angleDeg: number,
): { distanceMm: number; quality: number } {
  const { distanceMm, intensity } = roomScene(angleDeg);
  return { distanceMm, quality: Math.round(intensity * 63 / 255) };
}

/** The default: an A2M8 (model 0x28, firmware 1.29) at 10 Hz and 2000 nodes/s in the room, healthy. */
export const RPLIDAR_SIM_DEFAULTS: RplidarSimOptions = {
  rotationHz: 10,
  sampleRate: 2000,
  noiseMm: 0,
  health: { status: 0, errorCode: 0 },
  info: {
    model: 0x28,
    firmwareMinor: 29,
    firmwareMajor: 1,
    hardware: 5,
    serial: Uint8Array.from({ length: 16 }, (_, i) => 0x10 * (i % 16) + i),
  },
  seed: 1,
  faults: NO_FAULTS,
  scene: roomQualityScene,
};

/** Node `index` of a scan of a simulated RPLIDAR. */
export function rplidarSimNode(
  options: RplidarSimOptions,
  index: number,
): RplidarNode {
  const step = 360 * options.rotationHz / options.sampleRate;
  const turn = (k: number) => Math.floor(k * step / 360);
  const angleQ6 = Math.round((index * step % 360) * 64) % ANGLE_Q6_TURN;
  const { distanceMm, quality } = options.scene(angleQ6 / 64);
  const noise = options.noiseMm === 0 || distanceMm === 0
    ? 0
    : seededRandom(options.seed, index).gaussian(options.noiseMm);
  return {
    start: index === 0 || turn(index) > turn(index - 1),
    quality: distanceMm === 0 ? 0 : quality,
    angleQ6,
    distanceQ2: distanceMm === 0
      ? 0
      : Math.min(0xffff, Math.max(1, Math.round((distanceMm + noise) * 4))),
  };
}

/** A simulated RPLIDAR on a serial line. */
export class RplidarSim implements ByteSource {
  /** Every request received, by command byte, in order. */
  readonly commands: number[] = [];
  /** Called for every node sent, with its fault. */
  onNode: ((node: RplidarNode, fault: Fault) => void) | undefined;
  readonly #options: RplidarSimOptions;
  #out: Uint8Array[] = [];
  #scan: { nodes: PacketSource<RplidarNode>; startMs: number } | undefined;
  #scans = 0;
  /** A sync byte waiting for its command byte. */
  #syncPending = false;

  /** A device with `options` over the defaults. */
  constructor(options: Partial<RplidarSimOptions> = {}) {
    this.#options = { ...RPLIDAR_SIM_DEFAULTS, ...options };
  }

  /** Whether it is scanning. */
  get scanning(): boolean {
    return this.#scan !== undefined;
  }

  /** Faults injected into the nodes of the current scan. */
  get injected(): PacketSource<RplidarNode>["injected"] | undefined {
    return this.#scan?.nodes.injected;
  }

  /** Acts on the requests in `bytes`, received `elapsedMs` after start. */
  receive(bytes: Uint8Array, elapsedMs: number): void {
    for (const byte of bytes) {
      if (this.#syncPending) this.#command(byte, elapsedMs);
      this.#syncPending = byte === RPLIDAR_SYNC;
    }
  }

  /** Answers queued, then the nodes due by `elapsedMs` while scanning. */
  until(elapsedMs: number): Uint8Array {
    const out = this.#out;
    this.#out = [];
    if (this.#scan !== undefined) {
      out.push(this.#scan.nodes.until(elapsedMs - this.#scan.startMs));
    }
    return concat(out);
  }

  #command(command: number, elapsedMs: number): void {
    this.commands.push(command);
    const idle = this.#scan === undefined;
    switch (command) {
      case RplidarCommand.STOP:
      case RplidarCommand.RESET:
        this.#scan = undefined;
        break;
      case RplidarCommand.GET_HEALTH:
        if (idle) {
          this.#out.push(
            encodeDescriptor(HEALTH_DESCRIPTOR),
            encodeHealth(this.#options.health),
          );
        }
        break;
      case RplidarCommand.GET_INFO:
        if (idle) {
          this.#out.push(
            encodeDescriptor(INFO_DESCRIPTOR),
            encodeInfo(this.#options.info),
          );
        }
        break;
      case RplidarCommand.SCAN:
        if (idle && this.#options.health.status < 2) this.#start(elapsedMs);
        break;
    }
  }

  #start(elapsedMs: number): void {
    const options = this.#options;
    const nodes = new PacketSource(
      options.sampleRate,
      (index) => {
        const node = rplidarSimNode(options, index);
        return { packet: node, bytes: encodeNode(node) };
      },
      options.faults,
      options.seed + this.#scans++,
      { corrupt: clearCheckBit, headerBytes: 1 },
    );
    nodes.onPacket = (node, fault) => this.onNode?.(node, fault);
    this.#out.push(encodeDescriptor(SCAN_DESCRIPTOR));
    // The first node is due one sample period after the descriptor.
    this.#scan = { nodes, startMs: elapsedMs + 1000 / options.sampleRate };
  }
}

function clearCheckBit(bytes: Uint8Array, _random: Random): Uint8Array {
  const body = bytes.slice();
  body[1] &= 0xfe;
  return body;
}
