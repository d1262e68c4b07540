/**
 * ROBOTIS DYNAMIXEL Protocol 2.0 packets (both directions share the
 * framing):
 *
 * | bytes | field                                                       |
 * | ----- | ----------------------------------------------------------- |
 * | 4     | header `FF FF FD 00`                                        |
 * | 1     | packet id (`FE` = broadcast)                                |
 * | 2     | length (u16 LE): the bytes after it, instruction to CRC     |
 * | 1     | instruction (`55` in a status packet)                       |
 * | n     | parameters (a status packet starts with its error byte)     |
 * | 2     | CRC-16 (u16 LE) of everything before it                     |
 *
 * Byte stuffing: wherever `FF FF FD` occurs in the bytes after the
 * instruction, an extra `FD` follows it on the wire, so a header never
 * appears inside a packet; length and CRC cover the stuffed bytes. The CRC
 * is CRC-16/BUYPASS (polynomial 0x8005, initial 0, not reflected), computed
 * with the table of the ROBOTIS SDK, which {@link DXL_CRC_TABLE} rebuilds
 * from the polynomial.
 *
 * @module
 */
import { ByteAccumulator } from "../serial/byte_accumulator.ts";

/** Packet header. */
const DXL_HEADER: Uint8Array = Uint8Array.from([0xff, 0xff, 0xfd, 0x00]);
/** The broadcast id. */
export const DXL_BROADCAST_ID = 0xfe;
/** Highest servo id. */
export const DXL_MAX_ID = 252;
/** Instruction byte of a status (answer) packet. */
export const DXL_STATUS = 0x55;
/** Instruction: Sync Read (one address range of several servos). */
export const DXL_SYNC_READ = 0x82;
/** Control table address of Present Position (X series, int32 ticks). */
export const PRESENT_POSITION_ADDRESS = 132;
/** Bytes of Present Position. */
export const PRESENT_POSITION_SIZE = 4;
/** Control table address of Hardware Error Status (X series, 1 byte of alert bits). */
export const HARDWARE_ERROR_STATUS_ADDRESS = 70;
/** The Hardware Error Status bits (X series control table) and what each means. */
export const HARDWARE_ERROR_BITS: Readonly<Record<number, string>> = {
  0x01: "input voltage error",
  0x04: "overheating error",
  0x08: "motor encoder error",
  0x10: "electrical shock error",
  0x20: "overload error",
};

/** The causes a Hardware Error Status names, e.g. `overheating error, overload error`. */
export function describeHardwareError(status: number): string {
  const names = Object.entries(HARDWARE_ERROR_BITS)
    .filter(([bit]) => (status & Number(bit)) !== 0)
    .map(([, name]) => name);
  const unknown = status & ~0x3d;
  if (unknown !== 0) names.push(`bits 0x${unknown.toString(16)}`);
  return names.join(", ");
}

/** Control table address of Present Velocity (X series, int32, 0.229 rev/min). */
export const PRESENT_VELOCITY_ADDRESS = 128;
/** Control table address of Present Current (XM/XH series, int16; Present Load on the XL430). */
export const PRESENT_CURRENT_ADDRESS = 126;
/** Present Velocity's unit, rev/min. */
export const VELOCITY_UNIT_RPM = 0.229;
/** Present Current's unit on the XM430 / XH430, mA. */
export const CURRENT_UNIT_MA = 2.69;

/** The control table block one Sync Read covers: Present Position, from Present Velocity or Present Current on. */
export interface PresentBlock {
  /** First address. */
  address: number;
  /** Bytes. */
  size: number;
}

/** The block holding Present Position and, when asked, Present Velocity and Present Current (126 to 135). */
export function presentBlock(
  velocity: boolean,
  current: boolean,
): PresentBlock {
  const address = current
    ? PRESENT_CURRENT_ADDRESS
    : velocity
    ? PRESENT_VELOCITY_ADDRESS
    : PRESENT_POSITION_ADDRESS;
  return {
    address,
    size: PRESENT_POSITION_ADDRESS + PRESENT_POSITION_SIZE - address,
  };
}

/** Present Current, Velocity and Position read from a block's data. */
export interface PresentValues {
  /** Present Position, ticks. */
  ticks: number;
  /** Present Velocity, raw (0.229 rev/min), when in the block. */
  velocityRaw?: number;
  /** Present Current, raw, when in the block. */
  currentRaw?: number;
}

/** The values of `block` in `data` (its bytes, little-endian). */
export function readPresent(
  block: PresentBlock,
  data: Uint8Array,
): PresentValues {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const at = (address: number) => address - block.address;
  return {
    ticks: view.getInt32(at(PRESENT_POSITION_ADDRESS), true),
    ...(block.address <= PRESENT_VELOCITY_ADDRESS
      ? { velocityRaw: view.getInt32(at(PRESENT_VELOCITY_ADDRESS), true) }
      : {}),
    ...(block.address <= PRESENT_CURRENT_ADDRESS
      ? { currentRaw: view.getInt16(at(PRESENT_CURRENT_ADDRESS), true) }
      : {}),
  };
}
/** Bytes before the instruction: header, id, length. */
const PREFIX = 7;
/** The longest packet accepted, in bytes after the length field. */
const MAX_LENGTH = 1024;

/** The CRC-16 table (polynomial 0x8005), as in the ROBOTIS SDK. */
export const DXL_CRC_TABLE: Uint16Array = Uint16Array.from(
  { length: 256 },
  (_, i) => {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? (crc << 1) ^ 0x8005 : crc << 1;
    }
    return crc & 0xffff;
  },
);

/** The DYNAMIXEL CRC-16 of `bytes[start, end)`. */
export function dxlCrc(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) ^ DXL_CRC_TABLE[((crc >> 8) ^ bytes[i]) & 0xff]) &
      0xffff;
  }
  return crc;
}

/** `bytes` with an `FD` inserted after every `FF FF FD`. */
export function stuff(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    out.push(bytes[i]);
    if (endsWithHeader(bytes, i + 1)) out.push(0xfd);
  }
  return Uint8Array.from(out);
}

/** `stuffed` without its stuffing bytes, or `undefined` when an `FF FF FD` lacks its `FD`. */
export function unstuff(stuffed: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(stuffed.length);
  let n = 0;
  for (let i = 0; i < stuffed.length; i++) {
    out[n++] = stuffed[i];
    if (endsWithHeader(out, n)) {
      if (stuffed[i + 1] !== 0xfd) return undefined;
      i++;
    }
  }
  return out.subarray(0, n);
}

function endsWithHeader(bytes: Uint8Array, end: number): boolean {
  return end >= 3 && bytes[end - 1] === 0xfd && bytes[end - 2] === 0xff &&
    bytes[end - 3] === 0xff;
}

/** One packet, unstuffed. */
export interface DxlPacket {
  /** Packet id. */
  id: number;
  /** Instruction byte ({@link DXL_STATUS} for an answer). */
  instruction: number;
  /** The bytes after the instruction (a status packet's begin with its error byte). */
  params: Uint8Array;
}

/** The bytes of `packet` on the wire: stuffed, with length and CRC. */
export function encodeDxlPacket(packet: DxlPacket): Uint8Array {
  const body = stuff(packet.params);
  const bytes = new Uint8Array(PREFIX + 1 + body.length + 2);
  const view = new DataView(bytes.buffer);
  bytes.set(DXL_HEADER);
  bytes[4] = packet.id;
  view.setUint16(5, body.length + 3, true);
  bytes[7] = packet.instruction;
  bytes.set(body, 8);
  view.setUint16(bytes.length - 2, dxlCrc(bytes, 0, bytes.length - 2), true);
  return bytes;
}

/** A Sync Read of `size` bytes at `address` from `ids`, in that order. */
export function syncReadPacket(
  address: number,
  size: number,
  ids: readonly number[],
): Uint8Array {
  const params = new Uint8Array(4 + ids.length);
  const view = new DataView(params.buffer);
  view.setUint16(0, address, true);
  view.setUint16(2, size, true);
  params.set(ids, 4);
  return encodeDxlPacket({
    id: DXL_BROADCAST_ID,
    instruction: DXL_SYNC_READ,
    params,
  });
}

/** A status packet from servo `id`: its error byte, then `data`. */
export function statusPacket(
  id: number,
  error: number,
  data: Uint8Array,
): Uint8Array {
  const params = new Uint8Array(1 + data.length);
  params[0] = error;
  params.set(data, 1);
  return encodeDxlPacket({ id, instruction: DXL_STATUS, params });
}

/** The error byte's meaning: bit 7 the hardware alert, bits 0-6 the error number. */
export function describeDxlError(error: number): string {
  const names: Record<number, string> = {
    1: "result fail",
    2: "instruction error",
    3: "CRC error",
    4: "data range error",
    5: "data length error",
    6: "data limit error",
    7: "access error",
  };
  const parts: string[] = [];
  const number = error & 0x7f;
  if (number !== 0) parts.push(names[number] ?? `error ${number}`);
  if (error & 0x80) {
    parts.push("hardware alert (see Hardware Error Status, address 70)");
  }
  return parts.join(", ");
}

/** What one {@link DxlDecoder.push} found. */
export interface DxlDecoded {
  /** Packets with a good CRC and stuffing, in order. */
  packets: DxlPacket[];
  /** Packets dropped: bad CRC (which includes cut packets), impossible length or stuffing. */
  corrupt: number;
}

/**
 * Splits a byte stream into packets: finds the header, waits for the
 * length it announces, checks the CRC and the stuffing; on a mismatch drops
 * one byte and searches again.
 */
export class DxlDecoder {
  readonly #bytes = new ByteAccumulator(256);

  /** Decodes `bytes`, keeping an incomplete packet for the next call. */
  push(bytes: Uint8Array): DxlDecoded {
    const buffer = this.#bytes.append(bytes);
    const packets: DxlPacket[] = [];
    let corrupt = 0;
    let at = 0;
    while (buffer.length - at >= 4) {
      if (
        buffer[at] !== 0xff || buffer[at + 1] !== 0xff ||
        buffer[at + 2] !== 0xfd || buffer[at + 3] !== 0x00
      ) {
        at++;
        continue;
      }
      if (buffer.length - at < PREFIX) break;
      const length = buffer[at + 5] | buffer[at + 6] << 8;
      if (length < 3 || length > MAX_LENGTH) {
        corrupt++;
        at++;
        continue;
      }
      const end = at + PREFIX + length;
      if (buffer.length < end) break;
      const crc = buffer[end - 2] | buffer[end - 1] << 8;
      const params = dxlCrc(buffer, at, end - 2) === crc
        ? unstuff(buffer.subarray(at + PREFIX + 1, end - 2))
        : undefined;
      if (params === undefined) {
        corrupt++;
        at++;
        continue;
      }
      packets.push({
        id: buffer[at + 4],
        instruction: buffer[at + PREFIX],
        params: params.slice(),
      });
      at = end;
    }
    this.#bytes.consume(at);
    return { packets, corrupt };
  }

  /** Whether a packet has begun (its header arrived) and waits for the rest. */
  get partial(): boolean {
    const b = this.#bytes.view();
    return b.length >= 4 && b[0] === 0xff && b[1] === 0xff &&
      b[2] === 0xfd && b[3] === 0x00;
  }

  /** Forgets buffered bytes. */
  reset(): void {
    this.#bytes.reset();
  }
}
