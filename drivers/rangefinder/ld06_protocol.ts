/**
 * The LDROBOT LD06 / LD19 serial protocol (230400 baud, 8N1, device to
 * host only): 47-byte packets, each with 12 measurements.
 *
 * | offset | bytes | field                                              |
 * | ------ | ----- | -------------------------------------------------- |
 * | 0      | 1     | header `0x54`                                      |
 * | 1      | 1     | ver_len `0x2C` (type 1, 12 points)                 |
 * | 2      | 2     | rotation speed, degrees per second (u16 LE)        |
 * | 4      | 2     | start angle, 0.01 degree (u16 LE)                  |
 * | 6      | 36    | 12 x (distance mm u16 LE, intensity u8)            |
 * | 42     | 2     | end angle, 0.01 degree (u16 LE)                    |
 * | 44     | 2     | timestamp, ms, wrapping at 30000 (u16 LE)          |
 * | 46     | 1     | CRC-8 of bytes 0..45 ({@link LD06_CRC_TABLE})      |
 *
 * Angles grow clockwise seen from above, 0 at the front; point `i` lies at
 * `start + i * (end - start) / 11` (across the 360 degree wrap). Distance 0
 * means no return.
 *
 * @module
 */
import { ByteAccumulator } from "../serial/byte_accumulator.ts";

/** Bytes per packet. */
export const LD06_PACKET_SIZE = 47;
/** First byte of a packet. */
const LD06_HEADER = 0x54;
/** Second byte of a packet: type 1, 12 points. */
const LD06_VER_LEN = 0x2c;
/** Measurements per packet. */
export const LD06_POINTS_PER_PACKET = 12;
/** Device timestamps wrap at this many ms. */
export const LD06_TIMESTAMP_WRAP_MS = 30_000;

/**
 * The LD06 CRC-8 table (polynomial 0x4D, MSB first, as printed in the
 * LDROBOT development manual), computed at load.
 */
export const LD06_CRC_TABLE: Uint8Array = Uint8Array.from(
  { length: 256 },
  (_, byte) => {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80 ? ((crc << 1) ^ 0x4d) & 0xff : (crc << 1) & 0xff;
    }
    return crc;
  },
);

/** One measurement. */
export interface Ld06Measurement {
  /** Distance, mm; 0 for no return. */
  distanceMm: number;
  /** Return strength (confidence), 0-255. */
  intensity: number;
}

/** One decoded packet. */
export interface Ld06Packet {
  /** Rotation speed, degrees per second. */
  speedDegPerS: number;
  /** Angle of the first measurement, 0.01 degree units in [0, 36000). */
  startAngle: number;
  /** Angle of the last measurement, 0.01 degree units in [0, 36000). */
  endAngle: number;
  /** Device time, ms modulo {@link LD06_TIMESTAMP_WRAP_MS}. */
  timestampMs: number;
  /** The 12 measurements, first to last. */
  points: Ld06Measurement[];
}

/** CRC-8 (LD06 table) of `bytes[start, end)`. */
export function ld06Crc(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = LD06_CRC_TABLE[(crc ^ bytes[i]) & 0xff];
  }
  return crc;
}

/** Angle of measurement `index` of a packet, degrees in [0, 360). */
export function pointAngleDeg(
  packet: Pick<Ld06Packet, "startAngle" | "endAngle">,
  index: number,
): number {
  const span = (packet.endAngle - packet.startAngle + 36000) % 36000;
  const centi = packet.startAngle +
    span * index / (LD06_POINTS_PER_PACKET - 1);
  return (centi % 36000) / 100;
}

/** The 47 bytes of `packet`, CRC included. */
export function encodeLd06Packet(packet: Ld06Packet): Uint8Array {
  if (packet.points.length !== LD06_POINTS_PER_PACKET) {
    throw new RangeError(
      `an LD06 packet has ${LD06_POINTS_PER_PACKET} points, got ${packet.points.length}`,
    );
  }
  const bytes = new Uint8Array(LD06_PACKET_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = LD06_HEADER;
  bytes[1] = LD06_VER_LEN;
  view.setUint16(2, packet.speedDegPerS, true);
  view.setUint16(4, packet.startAngle, true);
  packet.points.forEach((p, i) => {
    view.setUint16(6 + 3 * i, p.distanceMm, true);
    bytes[8 + 3 * i] = p.intensity;
  });
  view.setUint16(42, packet.endAngle, true);
  view.setUint16(44, packet.timestampMs, true);
  bytes[46] = ld06Crc(bytes, 0, 46);
  return bytes;
}

/** Decodes the packet at `bytes[offset]`; the caller has checked its CRC. */
export function decodeLd06Packet(bytes: Uint8Array, offset = 0): Ld06Packet {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 46);
  const points: Ld06Measurement[] = [];
  for (let i = 0; i < LD06_POINTS_PER_PACKET; i++) {
    points.push({
      distanceMm: view.getUint16(6 + 3 * i, true),
      intensity: view.getUint8(8 + 3 * i),
    });
  }
  return {
    speedDegPerS: view.getUint16(2, true),
    startAngle: view.getUint16(4, true),
    endAngle: view.getUint16(42, true),
    timestampMs: view.getUint16(44, true),
    points,
  };
}

/** What one {@link Ld06Decoder.push} found. */
export interface Ld06Decoded {
  /** Valid packets, in order. */
  packets: Ld06Packet[];
  /** Packets dropped: bad CRC (which includes truncated packets) or impossible angles. */
  corrupt: number;
}

/**
 * Splits a byte stream into LD06 packets: finds the `0x54 0x2C` header,
 * waits for 47 bytes, checks the CRC and the angles; on a mismatch drops
 * one byte and searches again, so garbage and cut packets cost only
 * themselves.
 */
export class Ld06Decoder {
  readonly #bytes = new ByteAccumulator(4 * LD06_PACKET_SIZE);

  /** Decodes `bytes`, keeping an incomplete packet for the next call. */
  push(bytes: Uint8Array): Ld06Decoded {
    const buffer = this.#bytes.append(bytes);
    const packets: Ld06Packet[] = [];
    let corrupt = 0;
    let at = 0;
    while (buffer.length - at >= 2) {
      if (buffer[at] !== LD06_HEADER || buffer[at + 1] !== LD06_VER_LEN) {
        at++;
        continue;
      }
      if (buffer.length - at < LD06_PACKET_SIZE) break;
      const crcOk = ld06Crc(buffer, at, at + 46) === buffer[at + 46];
      const packet = crcOk ? decodeLd06Packet(buffer, at) : undefined;
      if (
        packet === undefined || packet.startAngle >= 36000 ||
        packet.endAngle >= 36000
      ) {
        corrupt++;
        at++;
        continue;
      }
      packets.push(packet);
      at += LD06_PACKET_SIZE;
    }
    this.#bytes.consume(at);
    return { packets, corrupt };
  }

  /** Forgets buffered bytes. */
  reset(): void {
    this.#bytes.reset();
  }
}
