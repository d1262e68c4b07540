/**
 * The Slamtec RPLIDAR A1/A2 serial protocol (8N1; 115200 baud on the A1
 * and A2M8, 256000 on the A2M12 and A3), as the RPLIDAR interface protocol
 * document describes it, standard scan mode only.
 *
 * Requests are `A5 cmd` (no payload): STOP `25`, RESET `40`, SCAN `20`,
 * GET_INFO `50`, GET_HEALTH `52`. STOP and RESET get no answer. Other
 * requests are answered by a response descriptor `A5 5A`, then 4 bytes (u32
 * LE: data length in the low 30 bits, send mode in the top 2: 0 one answer,
 * 1 answers until STOP), then the data type byte; then the data:
 *
 * | request    | descriptor             | data                                                     |
 * | ---------- | ---------------------- | -------------------------------------------------------- |
 * | GET_INFO   | `A5 5A 14 00 00 00 04` | model, firmware minor, major, hardware (u8), serial (16) |
 * | GET_HEALTH | `A5 5A 03 00 00 00 06` | status (0 good, 1 warning, 2 error), error code (u16 LE) |
 * | SCAN       | `A5 5A 05 00 00 40 81` | 5-byte measurement nodes until STOP                      |
 *
 * A measurement node: byte 0 is the quality (6 bits) above the inverted
 * start flag (bit 1) and the start flag S (bit 0, set on the first node of
 * a new turn); byte 1 is angle_q6 bits 0-6 above the check bit C (always
 * 1); byte 2 is angle_q6 bits 7-14; bytes 3-4 are distance_q2 (u16 LE).
 * Angle = angle_q6 / 64 degrees, clockwise seen from above; distance =
 * distance_q2 / 4 mm, 0 for no return.
 *
 * @module
 */
import { ByteAccumulator } from "../serial/byte_accumulator.ts";

/** First byte of every request and descriptor. */
export const RPLIDAR_SYNC = 0xa5;
/** Second byte of a response descriptor. */
const RPLIDAR_SYNC2 = 0x5a;
/** Request commands. */
export const RplidarCommand = {
  STOP: 0x25,
  RESET: 0x40,
  SCAN: 0x20,
  GET_INFO: 0x50,
  GET_HEALTH: 0x52,
} as const;
/** Bytes per measurement node. */
const NODE_SIZE = 5;
/** Largest valid angle_q6 (exclusive): 360 degrees. */
export const ANGLE_Q6_TURN = 360 * 64;

/** A response descriptor. */
export interface Descriptor {
  /** Bytes of data per answer. */
  length: number;
  /** 0: one answer; 1: answers until STOP. */
  mode: number;
  /** Data type. */
  type: number;
}

/** The descriptor of GET_INFO's answer. */
export const INFO_DESCRIPTOR: Descriptor = { length: 20, mode: 0, type: 0x04 };
/** The descriptor of GET_HEALTH's answer. */
export const HEALTH_DESCRIPTOR: Descriptor = { length: 3, mode: 0, type: 0x06 };
/** The descriptor of SCAN's answers. */
export const SCAN_DESCRIPTOR: Descriptor = { length: 5, mode: 1, type: 0x81 };

/** The device's identity (GET_INFO). */
export interface DeviceInfo {
  /** Model id. */
  model: number;
  /** Firmware version, minor part. */
  firmwareMinor: number;
  /** Firmware version, major part. */
  firmwareMajor: number;
  /** Hardware revision. */
  hardware: number;
  /** Serial number, 16 bytes. */
  serial: Uint8Array;
}

/** The device's health (GET_HEALTH). */
export interface Health {
  /** 0 good, 1 warning, 2 error. */
  status: number;
  /** The device's error code. */
  errorCode: number;
}

/** One measurement. */
export interface RplidarNode {
  /** The start flag: the first node of a turn. */
  start: boolean;
  /** Quality, 0-63. */
  quality: number;
  /** Angle in 1/64 degree, [0, 23040). */
  angleQ6: number;
  /** Distance in 1/4 mm, 0 for no return. */
  distanceQ2: number;
}

/** The request `A5 command`. */
export function request(command: number): Uint8Array {
  return Uint8Array.from([RPLIDAR_SYNC, command]);
}

/** The 7 bytes of `descriptor`. */
export function encodeDescriptor(descriptor: Descriptor): Uint8Array {
  const bytes = new Uint8Array(7);
  bytes[0] = RPLIDAR_SYNC;
  bytes[1] = RPLIDAR_SYNC2;
  new DataView(bytes.buffer).setUint32(
    2,
    ((descriptor.mode << 30) | (descriptor.length & 0x3fffffff)) >>> 0,
    true,
  );
  bytes[6] = descriptor.type;
  return bytes;
}

/** The 20 bytes of a GET_INFO answer. */
export function encodeInfo(info: DeviceInfo): Uint8Array {
  const bytes = new Uint8Array(20);
  bytes.set([
    info.model,
    info.firmwareMinor,
    info.firmwareMajor,
    info.hardware,
  ]);
  bytes.set(info.serial.subarray(0, 16), 4);
  return bytes;
}

/** Decodes a GET_INFO answer (20 bytes). */
export function decodeInfo(bytes: Uint8Array): DeviceInfo {
  return {
    model: bytes[0],
    firmwareMinor: bytes[1],
    firmwareMajor: bytes[2],
    hardware: bytes[3],
    serial: bytes.slice(4, 20),
  };
}

/** The 3 bytes of a GET_HEALTH answer. */
export function encodeHealth(health: Health): Uint8Array {
  return Uint8Array.from([
    health.status,
    health.errorCode & 0xff,
    health.errorCode >> 8,
  ]);
}

/** Decodes a GET_HEALTH answer (3 bytes). */
export function decodeHealth(bytes: Uint8Array): Health {
  return { status: bytes[0], errorCode: bytes[1] | bytes[2] << 8 };
}

/** The 5 bytes of `node`. */
export function encodeNode(node: RplidarNode): Uint8Array {
  const s = node.start ? 1 : 0;
  return Uint8Array.from([
    (node.quality << 2) | ((s ^ 1) << 1) | s,
    ((node.angleQ6 & 0x7f) << 1) | 1,
    node.angleQ6 >> 7,
    node.distanceQ2 & 0xff,
    node.distanceQ2 >> 8,
  ]);
}

/** The node at `bytes[at]` when its start flags, check bit and angle are consistent. */
export function decodeNode(
  bytes: Uint8Array,
  at: number,
): RplidarNode | undefined {
  const b0 = bytes[at];
  const b1 = bytes[at + 1];
  if ((((b0 >> 1) ^ b0) & 1) === 0 || (b1 & 1) === 0) return undefined;
  const angleQ6 = (b1 >> 1) | (bytes[at + 2] << 7);
  if (angleQ6 >= ANGLE_Q6_TURN) return undefined;
  return {
    start: (b0 & 1) === 1,
    quality: b0 >> 2,
    angleQ6,
    distanceQ2: bytes[at + 3] | bytes[at + 4] << 8,
  };
}

/**
 * Largest angle step between consecutive nodes before the decoder learned
 * the device's own, 1/64 degree: 5 degrees, well above any A1/A2/A3
 * standard scan (2000 to 4000 nodes/s at up to 15 turns a second is at most
 * 2.7 degrees).
 */
export const MAX_STEP_Q6 = 5 * 64;
/** Largest backward step between consecutive nodes accepted before the step is learned, 1/64 degree. */
const MAX_BACK_Q6 = 32;
/** Consecutive steps seen before the step is trusted. */
const LEARN_STEPS = 8;
/** Bytes dropped in a row after which the learned step is forgotten (the device changed speed). */
const FORGET_AFTER_BYTES = 100;

/** The angle from `a` to `b` in 1/64 degree, in (-180, 180] degrees. */
export function angleStep(a: RplidarNode, b: RplidarNode): number {
  return ((b.angleQ6 - a.angleQ6 + ANGLE_Q6_TURN * 1.5) % ANGLE_Q6_TURN) -
    ANGLE_Q6_TURN / 2;
}

/** What one {@link NodeDecoder.push} found. */
export interface NodesDecoded {
  /** Nodes accepted, in order. */
  nodes: RplidarNode[];
  /** Runs of bytes dropped as not being nodes (each run counts once). */
  corrupt: number;
}

/**
 * Splits a scan's byte stream into nodes. Nodes carry no checksum, only the
 * start flag's inverse and the check bit, and nodes arrive back to back at
 * a steady angle step; so a node is accepted only when it and the two nodes
 * after it pass those checks, each step to the next is within half to one
 * and a half times the device's step (learned from {@link LEARN_STEPS}
 * consecutive nodes; until then between 0.5 degree back and 5 on), and it
 * continues from the last node accepted (further the more bytes were
 * dropped since). Otherwise one byte is dropped and the search goes on. A
 * run of dropped bytes counts as one corrupt packet. What no check can
 * catch: a node whose distance bytes were cut and replaced by exactly as
 * many other bytes.
 */
export class NodeDecoder {
  readonly #bytes = new ByteAccumulator(64 * NODE_SIZE);
  #dropping = false;
  #last: RplidarNode | undefined;
  #dropped = 0;
  /** Mean step between consecutive nodes, 1/64 degree. */
  #step = 0;
  #learned = 0;

  /** Decodes `bytes`, keeping nodes that wait for their successors. */
  push(bytes: Uint8Array): NodesDecoded {
    const buffer = this.#bytes.append(bytes);
    const nodes: RplidarNode[] = [];
    let corrupt = 0;
    let at = 0;
    while (buffer.length - at >= 3 * NODE_SIZE) {
      const node = decodeNode(buffer, at);
      const next = node && decodeNode(buffer, at + NODE_SIZE);
      const after = next && decodeNode(buffer, at + 2 * NODE_SIZE);
      if (
        node === undefined || next === undefined || after === undefined ||
        !this.#fits(node, next, 1) || !this.#fits(next, after, 1) ||
        (this.#last !== undefined &&
          !this.#fits(this.#last, node, 1 + this.#dropped / NODE_SIZE))
      ) {
        if (!this.#dropping) corrupt++;
        this.#dropping = true;
        if (++this.#dropped >= FORGET_AFTER_BYTES) this.#forget();
        at++;
        continue;
      }
      if (this.#last !== undefined && this.#dropped === 0) {
        this.#learn(angleStep(this.#last, node));
      }
      this.#dropping = false;
      this.#dropped = 0;
      this.#last = node;
      nodes.push(node);
      at += NODE_SIZE;
    }
    this.#bytes.consume(at);
    return { nodes, corrupt };
  }

  /** Whether `b` can come `nodes` node steps after `a`. */
  #fits(a: RplidarNode, b: RplidarNode, nodes: number): boolean {
    const step = angleStep(a, b);
    if (this.#learned < LEARN_STEPS) {
      return step >= -MAX_BACK_Q6 && step <= nodes * MAX_STEP_Q6;
    }
    return step >= 0.75 * this.#step && step <= 1.25 * nodes * this.#step;
  }

  #learn(step: number): void {
    this.#step = this.#learned === 0 ? step : 0.9 * this.#step + 0.1 * step;
    this.#learned++;
  }

  #forget(): void {
    this.#last = undefined;
    this.#learned = 0;
    this.#dropped = 0;
  }

  /** Forgets buffered bytes. */
  reset(): void {
    this.#bytes.reset();
    this.#dropping = false;
    this.#forget();
  }
}
