/**
 * The Qorvo (Decawave) DWM1001 UART generic API, TLV frames (type byte,
 * length byte, value), as the DWM1001 Firmware API Guide describes them;
 * 115200 baud 8N1, the UART mode the module starts in.
 *
 * Request `dwm_loc_get`: `0C 00`. A tag answers with three TLVs:
 *
 * | TLV          | value                                                           |
 * | ------------ | --------------------------------------------------------------- |
 * | `40 01`      | error code (u8), 0 = OK; on an error only this TLV is sent      |
 * | `41 0D`      | position: x, y, z (int32 LE, mm), quality factor (u8, 0-100)    |
 * | `49 LL`      | anchor count (u8), then per anchor 20 bytes: UWB address (u16   |
 * |              | LE), distance (u32 LE, mm), quality factor (u8), the anchor's   |
 * |              | position x, y, z (int32 LE, mm) and its quality factor (u8)     |
 *
 * Uncertainties, written down rather than guessed silently: the guide
 * gives the distance as a 32-bit unsigned value (distances below 2^31 mm
 * read the same as int32); an anchor node answers with TLV `48` (distances
 * without positions, whose address width this driver does not rely on), so
 * a `48` is reported as "configured as an anchor" instead of being parsed;
 * the error codes' meanings are those of the guide's `err_code` table.
 *
 * @module
 */

/** Request type of `dwm_loc_get`. */
export const DWM_LOC_GET = 0x0c;
/** TLV type of the error code. */
export const TLV_ERR = 0x40;
/** TLV type of the position. */
const TLV_POSITION = 0x41;
/** TLV type of an anchor's distances (no positions). */
const TLV_ANCHOR_DISTANCES = 0x48;
/** TLV type of a tag's anchor distances with anchor positions. */
const TLV_TAG_DISTANCES = 0x49;
/** Bytes of a position value. */
const POSITION_SIZE = 13;
/** Bytes of one anchor in a tag's distance list. */
const ANCHOR_SIZE = 20;

/** The bytes of a `dwm_loc_get` request. */
export const LOC_GET_REQUEST: Uint8Array = Uint8Array.from([DWM_LOC_GET, 0]);

/** A position in millimeters with its quality factor. */
export interface DwmPosition {
  /** x, mm. */
  x: number;
  /** y, mm. */
  y: number;
  /** z, mm. */
  z: number;
  /** Quality factor, 0-100. */
  quality: number;
}

/** One anchor a tag ranged to. */
export interface DwmAnchor {
  /** The anchor's 16-bit UWB address. */
  address: number;
  /** Distance, mm. */
  distanceMm: number;
  /** Quality factor of the distance, 0-100. */
  quality: number;
  /** The anchor's configured position. */
  position: DwmPosition;
}

/** A tag's answer to `dwm_loc_get`. */
export interface DwmLocation {
  /** The tag's position estimate. */
  position: DwmPosition;
  /** The anchors it ranged to. */
  anchors: DwmAnchor[];
}

/** The guide's error codes. */
export const DWM_ERRORS: Readonly<Record<number, string>> = {
  1: "unknown command or broken TLV frame",
  2: "internal error",
  3: "invalid parameter",
  4: "busy",
  5: "operation not permitted",
};

/** The anchor address as published: `0x` and four upper-case hex digits. */
export function anchorId(address: number): string {
  return `0x${address.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The TLV answer of a tag at `location`. */
export function encodeLocation(location: DwmLocation): Uint8Array {
  const count = location.anchors.length;
  const bytes = new Uint8Array(3 + 2 + POSITION_SIZE + 3 + ANCHOR_SIZE * count);
  const view = new DataView(bytes.buffer);
  bytes.set([TLV_ERR, 1, 0, TLV_POSITION, POSITION_SIZE]);
  writePosition(view, 5, location.position);
  let at = 5 + POSITION_SIZE;
  bytes.set([TLV_TAG_DISTANCES, 1 + ANCHOR_SIZE * count, count], at);
  at += 3;
  for (const anchor of location.anchors) {
    view.setUint16(at, anchor.address, true);
    view.setUint32(at + 2, anchor.distanceMm, true);
    view.setUint8(at + 6, anchor.quality);
    writePosition(view, at + 7, anchor.position);
    at += ANCHOR_SIZE;
  }
  return bytes;
}

/** The TLV answer carrying only error `code`. */
export function encodeError(code: number): Uint8Array {
  return Uint8Array.from([TLV_ERR, 1, code]);
}

/** What {@link parseAnswer} found at the start of the bytes. */
export type ParsedAnswer =
  | { kind: "incomplete" }
  | { kind: "malformed"; reason: string }
  | { kind: "error"; code: number; size: number }
  | { kind: "anchor"; size: number }
  | { kind: "location"; location: DwmLocation; size: number };

/** Parses the `dwm_loc_get` answer that `bytes` start with. */
export function parseAnswer(bytes: Uint8Array): ParsedAnswer {
  if (bytes.length < 3) return { kind: "incomplete" };
  if (bytes[0] !== TLV_ERR || bytes[1] !== 1) {
    return {
      kind: "malformed",
      reason: "it does not start with an error code",
    };
  }
  if (bytes[2] !== 0) return { kind: "error", code: bytes[2], size: 3 };
  if (bytes.length < 5) return { kind: "incomplete" };
  if (bytes[3] !== TLV_POSITION || bytes[4] !== POSITION_SIZE) {
    return { kind: "malformed", reason: "no position after the error code" };
  }
  const listAt = 5 + POSITION_SIZE;
  if (bytes.length < listAt + 2) return { kind: "incomplete" };
  const type = bytes[listAt];
  const length = bytes[listAt + 1];
  const end = listAt + 2 + length;
  if (type === TLV_ANCHOR_DISTANCES) {
    return bytes.length < end
      ? { kind: "incomplete" }
      : { kind: "anchor", size: end };
  }
  if (type !== TLV_TAG_DISTANCES || (length - 1) % ANCHOR_SIZE !== 0) {
    return { kind: "malformed", reason: "no anchor list after the position" };
  }
  if (bytes.length < end) return { kind: "incomplete" };
  const count = bytes[listAt + 2];
  if (count !== (length - 1) / ANCHOR_SIZE) {
    return {
      kind: "malformed",
      reason: `${count} anchors in a list of ${length} bytes`,
    };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, end);
  const anchors: DwmAnchor[] = [];
  for (let i = 0, at = listAt + 3; i < count; i++, at += ANCHOR_SIZE) {
    anchors.push({
      address: view.getUint16(at, true),
      distanceMm: view.getUint32(at + 2, true),
      quality: view.getUint8(at + 6),
      position: readPosition(view, at + 7),
    });
  }
  return {
    kind: "location",
    location: { position: readPosition(view, 5), anchors },
    size: end,
  };
}

function writePosition(view: DataView, at: number, p: DwmPosition): void {
  view.setInt32(at, p.x, true);
  view.setInt32(at + 4, p.y, true);
  view.setInt32(at + 8, p.z, true);
  view.setUint8(at + 12, p.quality);
}

function readPosition(view: DataView, at: number): DwmPosition {
  return {
    x: view.getInt32(at, true),
    y: view.getInt32(at + 4, true),
    z: view.getInt32(at + 8, true),
    quality: view.getUint8(at + 12),
  };
}
