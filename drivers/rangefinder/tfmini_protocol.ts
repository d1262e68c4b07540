/**
 * The Benewake TFmini-S / TFmini Plus serial output (115200 baud, 8N1,
 * standard 9-byte format, 100 Hz by default):
 *
 * | offset | bytes | field                                          |
 * | ------ | ----- | ---------------------------------------------- |
 * | 0, 1   | 2     | header `0x59 0x59`                             |
 * | 2      | 2     | distance, cm (u16 LE)                          |
 * | 4      | 2     | signal strength (u16 LE)                       |
 * | 6      | 2     | temperature, raw (u16 LE): `raw / 8 - 256` °C  |
 * | 8      | 1     | checksum: low byte of the sum of bytes 0..7    |
 *
 * Validity (the Benewake manuals): a reading whose strength is below 100
 * is too weak to trust and one at 65535 is overexposed; the TFmini Plus then
 * reports distance 0. The TFmini-S reports an abnormal reading as a negative
 * int16 distance, its manual's table "Description of abnormal data values":
 *
 * | distance | strength    | meaning                  |
 * | -------- | ----------- | ------------------------ |
 * | -1       | other value | strength ≤ 100 (too weak) |
 * | -2       | -1 (65535)  | signal strength saturation |
 * | -4       | other value | ambient light saturation |
 *
 * Every distance from 0xFFF0 up (-16 to -1 as int16, codes the manual may
 * add included) is an error code, never a distance: the device's range
 * ends at 12 m (1200 cm). A reading is valid only when
 * `100 <= strength < 65535` and the distance is neither 0 nor an error
 * code ({@link isValidReading}).
 *
 * @module
 */
import { ByteAccumulator } from "../serial/byte_accumulator.ts";

/** Bytes per frame. */
export const TFMINI_FRAME_SIZE = 9;
/** Both header bytes. */
const TFMINI_HEADER = 0x59;
/** Weakest strength the manuals call reliable. */
const TFMINI_MIN_STRENGTH = 100;
/** Strength reported when the receiver is overexposed. */
export const TFMINI_SATURATED = 65535;

/** Distances from this value up are TFmini-S error codes (negative int16), not distances. */
export const TFMINI_ERROR_CODE_MIN = 0xfff0;
/** Nearest distance the TFmini-S and TFmini Plus measure, m. */
export const TFMINI_RANGE_MIN_M = 0.1;
/** Farthest distance the TFmini-S and TFmini Plus measure, m. */
export const TFMINI_RANGE_MAX_M = 12;

/** One frame. */
export interface TfminiFrame {
  /** Distance, cm. */
  distanceCm: number;
  /** Signal strength. */
  strength: number;
  /** Chip temperature, raw (`raw / 8 - 256` °C). */
  temperatureRaw: number;
}

/** Whether a reading is a trustworthy distance (see the module notes). */
export function isValidReading(frame: TfminiFrame): boolean {
  return frame.strength >= TFMINI_MIN_STRENGTH &&
    frame.strength !== TFMINI_SATURATED &&
    frame.distanceCm !== 0 && tfminiErrorCode(frame) === undefined;
}

/** The TFmini-S error code (a negative number) a frame's distance holds, if it holds one. */
export function tfminiErrorCode(frame: TfminiFrame): number | undefined {
  return frame.distanceCm >= TFMINI_ERROR_CODE_MIN
    ? frame.distanceCm - 0x10000
    : undefined;
}

/** Checksum of the frame at `bytes[offset]`: low byte of the sum of its first 8 bytes. */
export function tfminiChecksum(bytes: Uint8Array, offset = 0): number {
  let sum = 0;
  for (let i = offset; i < offset + 8; i++) sum += bytes[i];
  return sum & 0xff;
}

/** The 9 bytes of `frame`. */
export function encodeTfminiFrame(frame: TfminiFrame): Uint8Array {
  const bytes = new Uint8Array(TFMINI_FRAME_SIZE);
  const view = new DataView(bytes.buffer);
  bytes[0] = TFMINI_HEADER;
  bytes[1] = TFMINI_HEADER;
  view.setUint16(2, frame.distanceCm, true);
  view.setUint16(4, frame.strength, true);
  view.setUint16(6, frame.temperatureRaw, true);
  bytes[8] = tfminiChecksum(bytes);
  return bytes;
}

/** What one {@link TfminiDecoder.push} found. */
export interface TfminiDecoded {
  /** Frames with a good checksum, in order. */
  frames: TfminiFrame[];
  /** Frames dropped for a bad checksum (which includes cut frames). */
  corrupt: number;
}

/**
 * Splits a byte stream into TFmini frames: finds `0x59 0x59`, waits for 9
 * bytes, checks the checksum; on a mismatch drops one byte and searches
 * again.
 */
export class TfminiDecoder {
  readonly #bytes = new ByteAccumulator(64);

  /** Decodes `bytes`, keeping an incomplete frame for the next call. */
  push(bytes: Uint8Array): TfminiDecoded {
    const buffer = this.#bytes.append(bytes);
    const frames: TfminiFrame[] = [];
    let corrupt = 0;
    let at = 0;
    while (buffer.length - at >= 2) {
      if (buffer[at] !== TFMINI_HEADER || buffer[at + 1] !== TFMINI_HEADER) {
        at++;
        continue;
      }
      if (buffer.length - at < TFMINI_FRAME_SIZE) break;
      if (tfminiChecksum(buffer, at) !== buffer[at + 8]) {
        corrupt++;
        at++;
        continue;
      }
      frames.push({
        distanceCm: buffer[at + 2] | buffer[at + 3] << 8,
        strength: buffer[at + 4] | buffer[at + 5] << 8,
        temperatureRaw: buffer[at + 6] | buffer[at + 7] << 8,
      });
      at += TFMINI_FRAME_SIZE;
    }
    this.#bytes.consume(at);
    return { frames, corrupt };
  }

  /** Forgets buffered bytes. */
  reset(): void {
    this.#bytes.reset();
  }
}
