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
export const LD06_HEADER = 0x54;
/** Second byte of a packet: type 1, 12 points. */
export const LD06_VER_LEN = 0x2c;
/** Measurements per packet. */
export const LD06_POINTS_PER_PACKET = 12;
/** Device timestamps wrap at this many ms. */
export const LD06_TIMESTAMP_WRAP_MS = 30_000;

/** The LD06 CRC-8 table, as printed in the LDROBOT development manual (polynomial 0x4D). */
export const LD06_CRC_TABLE: Uint8Array = Uint8Array.from([
  0x00,
  0x4d,
  0x9a,
  0xd7,
  0x79,
  0x34,
  0xe3,
  0xae,
  0xf2,
  0xbf,
  0x68,
  0x25,
  0x8b,
  0xc6,
  0x11,
  0x5c,
  0xa9,
  0xe4,
  0x33,
  0x7e,
  0xd0,
  0x9d,
  0x4a,
  0x07,
  0x5b,
  0x16,
  0xc1,
  0x8c,
  0x22,
  0x6f,
  0xb8,
  0xf5,
  0x1f,
  0x52,
  0x85,
  0xc8,
  0x66,
  0x2b,
  0xfc,
  0xb1,
  0xed,
  0xa0,
  0x77,
  0x3a,
  0x94,
  0xd9,
  0x0e,
  0x43,
  0xb6,
  0xfb,
  0x2c,
  0x61,
  0xcf,
  0x82,
  0x55,
  0x18,
  0x44,
  0x09,
  0xde,
  0x93,
  0x3d,
  0x70,
  0xa7,
  0xea,
  0x3e,
  0x73,
  0xa4,
  0xe9,
  0x47,
  0x0a,
  0xdd,
  0x90,
  0xcc,
  0x81,
  0x56,
  0x1b,
  0xb5,
  0xf8,
  0x2f,
  0x62,
  0x97,
  0xda,
  0x0d,
  0x40,
  0xee,
  0xa3,
  0x74,
  0x39,
  0x65,
  0x28,
  0xff,
  0xb2,
  0x1c,
  0x51,
  0x86,
  0xcb,
  0x21,
  0x6c,
  0xbb,
  0xf6,
  0x58,
  0x15,
  0xc2,
  0x8f,
  0xd3,
  0x9e,
  0x49,
  0x04,
  0xaa,
  0xe7,
  0x30,
  0x7d,
  0x88,
  0xc5,
  0x12,
  0x5f,
  0xf1,
  0xbc,
  0x6b,
  0x26,
  0x7a,
  0x37,
  0xe0,
  0xad,
  0x03,
  0x4e,
  0x99,
  0xd4,
  0x7c,
  0x31,
  0xe6,
  0xab,
  0x05,
  0x48,
  0x9f,
  0xd2,
  0x8e,
  0xc3,
  0x14,
  0x59,
  0xf7,
  0xba,
  0x6d,
  0x20,
  0xd5,
  0x98,
  0x4f,
  0x02,
  0xac,
  0xe1,
  0x36,
  0x7b,
  0x27,
  0x6a,
  0xbd,
  0xf0,
  0x5e,
  0x13,
  0xc4,
  0x89,
  0x63,
  0x2e,
  0xf9,
  0xb4,
  0x1a,
  0x57,
  0x80,
  0xcd,
  0x91,
  0xdc,
  0x0b,
  0x46,
  0xe8,
  0xa5,
  0x72,
  0x3f,
  0xca,
  0x87,
  0x50,
  0x1d,
  0xb3,
  0xfe,
  0x29,
  0x64,
  0x38,
  0x75,
  0xa2,
  0xef,
  0x41,
  0x0c,
  0xdb,
  0x96,
  0x42,
  0x0f,
  0xd8,
  0x95,
  0x3b,
  0x76,
  0xa1,
  0xec,
  0xb0,
  0xfd,
  0x2a,
  0x67,
  0xc9,
  0x84,
  0x53,
  0x1e,
  0xeb,
  0xa6,
  0x71,
  0x3c,
  0x92,
  0xdf,
  0x08,
  0x45,
  0x19,
  0x54,
  0x83,
  0xce,
  0x60,
  0x2d,
  0xfa,
  0xb7,
  0x5d,
  0x10,
  0xc7,
  0x8a,
  0x24,
  0x69,
  0xbe,
  0xf3,
  0xaf,
  0xe2,
  0x35,
  0x78,
  0xd6,
  0x9b,
  0x4c,
  0x01,
  0xf4,
  0xb9,
  0x6e,
  0x23,
  0x8d,
  0xc0,
  0x17,
  0x5a,
  0x06,
  0x4b,
  0x9c,
  0xd1,
  0x7f,
  0x32,
  0xe5,
  0xa8,
]);

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
