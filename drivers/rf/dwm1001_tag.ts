/**
 * Polls a DWM1001 tag with `dwm_loc_get` and publishes each answer:
 *
 * - the sensor's `auki_edge.rf.UwbFrame`: one range per anchor (id as
 *   `0x1A2B`, meters, quality 0-100, and the anchor's surveyed position in
 *   the UWB area frame with its quality factor) and the tag's position
 *   estimate in meters in the UWB area frame, omitted when its quality
 *   factor is 0 (the tag has no estimate); error answers since the previous
 *   frame are counted in it (`errors_since_last`, `last_error_code`);
 * - pose output 0, the tag frame's pose in the area frame: the position as
 *   translation and an identity orientation (UWB measures no heading), only
 *   when the quality factor is above 0.
 *
 * Both are timestamped when the answer arrives: the tag reports the last
 * position it computed, at its own update rate, not one sampled on request.
 * Polled faster than it updates, the tag answers the same bytes again: an
 * answer identical to the previous location answer is a repeat, counted
 * valid (the tag is alive) but not published.
 * Bytes before an answer are skipped. An answer whose TLVs do not fit
 * together, or bytes that make no answer by the time the next request is
 * due (a cut or garbled answer), count as one corrupt packet; the rest of
 * that answer is ignored. An error code, or an anchor's answer, is a fault
 * in words (logged and counted in the device's faults) and counted in the
 * next published frame; a tag that only errs goes offline with the error
 * named in the end reason.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { SpatialTransformSchema } from "../../core/proto/gen/auki/pose_pb.ts";
import { UwbFrameSchema } from "../../core/proto/gen/auki_edge/rf_pb.ts";
import type {
  Decoded,
  DecodedSample,
  DeviceLink,
  ProtocolDecoder,
} from "../serial/device.ts";
import { Poller } from "../serial/poller.ts";
import {
  anchorId,
  DWM_ERRORS,
  type DwmLocation,
  type DwmPosition,
  LOC_GET_REQUEST,
  parseAnswer,
  TLV_ERR,
} from "./dwm1001_protocol.ts";

/** The longest answer kept while waiting for the rest, bytes. */
const MAX_ANSWER = 512;

/** Error answers since the previous published frame. */
export interface ErrorTally {
  /** How many. */
  count: number;
  /** The last one's code (0: none). */
  lastCode: number;
}

/** The encoded samples of one location answer at `timestampNs`, with the errors since the last one. */
export function locationSamples(
  location: DwmLocation,
  timestampNs: bigint,
  errors: ErrorTally = { count: 0, lastCode: 0 },
): DecodedSample[] {
  const { position } = location;
  const meters = toMeters(position);
  const frame = create(UwbFrameSchema, {
    ranges: location.anchors.map((a) => ({
      anchorId: anchorId(a.address),
      distanceM: a.distanceMm / 1000,
      quality: a.quality,
      anchorPosition: { ...toMeters(a.position), quality: a.position.quality },
    })),
    ...(position.quality > 0
      ? { position: { ...meters, quality: position.quality } }
      : {}),
    errorsSinceLast: errors.count,
    lastErrorCode: errors.lastCode,
  });
  const samples: DecodedSample[] = [{
    payload: toBinary(UwbFrameSchema, frame),
    timestampNs,
  }];
  if (position.quality > 0) {
    samples.push({
      payload: toBinary(
        SpatialTransformSchema,
        create(SpatialTransformSchema, {
          translation: meters,
          orientation: { x: 0, y: 0, z: 0, w: 1 },
        }),
      ),
      timestampNs,
      pose: 0,
    });
  }
  return samples;
}

/** A position in mm as meters. */
function toMeters(p: DwmPosition): { x: number; y: number; z: number } {
  return { x: p.x / 1000, y: p.y / 1000, z: p.z / 1000 };
}

/** Whether two byte arrays hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A DWM1001 tag polled at `rateHz`. */
export class Dwm1001Tag implements ProtocolDecoder {
  readonly #periodMs: number;
  #buffer: Uint8Array = new Uint8Array(0);
  /** Bytes of the current request's answer arrived and were not resolved yet. */
  #pending = false;
  /** The current answer was counted corrupt: ignore the rest of it. */
  #discarding = false;
  #link: DeviceLink | undefined;
  #poller: Poller | undefined;
  /** The last location answer's bytes, to recognise a repeat. */
  #lastAnswer: Uint8Array = new Uint8Array(0);
  #errors: ErrorTally = { count: 0, lastCode: 0 };

  /** A tag polled `rateHz` times a second. */
  constructor(rateHz: number) {
    this.#periodMs = 1000 / rateHz;
  }

  /** Starts polling through `link`. */
  open(link: DeviceLink): void {
    this.#link = link;
    this.#lastAnswer = new Uint8Array(0);
    this.#errors = { count: 0, lastCode: 0 };
    this.#poller = new Poller({
      periodMs: this.#periodMs,
      timeoutMs: this.#periodMs,
      send: () => {
        this.reset();
        void link.write(LOC_GET_REQUEST);
      },
      expire: () => this.#expire(),
    });
    this.#poller.start();
  }

  /** Stops polling. */
  close(): Promise<void> {
    this.#poller?.stop();
    this.#poller = undefined;
    this.#link = undefined;
    return Promise.resolve();
  }

  /** Decodes the answer to the outstanding request; bytes nobody asked for are dropped. */
  push(bytes: Uint8Array, nowNs: bigint): Decoded {
    const none = { samples: [], valid: 0, corrupt: 0 };
    if (!this.#poller?.outstanding || this.#discarding) return none;
    this.#pending = true;
    this.#buffer = skipToAnswer(joined(this.#buffer, bytes));
    const parsed = parseAnswer(this.#buffer);
    if (parsed.kind === "incomplete" && this.#buffer.length <= MAX_ANSWER) {
      return none;
    }
    const answer = this.#buffer;
    this.#buffer = new Uint8Array(0);
    this.#pending = false;
    if (parsed.kind === "incomplete" || parsed.kind === "malformed") {
      this.#discarding = true;
      return { ...none, corrupt: 1 };
    }
    this.#poller.answered();
    switch (parsed.kind) {
      case "error":
        this.#errors = {
          count: this.#errors.count + 1,
          lastCode: parsed.code,
        };
        return {
          ...none,
          fault: `dwm_loc_get failed with error ${parsed.code} (${
            DWM_ERRORS[parsed.code] ?? "unknown"
          })`,
        };
      case "anchor":
        return {
          ...none,
          fault:
            "the module answers as an anchor (TLV 0x48): configure it as a tag",
        };
      case "location": {
        const bytes = answer.subarray(0, parsed.size);
        if (sameBytes(bytes, this.#lastAnswer)) return { ...none, valid: 1 };
        this.#lastAnswer = bytes.slice();
        const errors = this.#errors;
        this.#errors = { count: 0, lastCode: 0 };
        return {
          samples: locationSamples(parsed.location, nowNs, errors),
          valid: 1,
          corrupt: 0,
        };
      }
    }
  }

  /** Forgets a partial answer. */
  reset(): void {
    this.#buffer = new Uint8Array(0);
    this.#pending = false;
    this.#discarding = false;
  }

  #expire(): void {
    const pending = this.#pending;
    this.reset();
    if (pending) this.#link?.report({ samples: [], valid: 0, corrupt: 1 });
  }
}

/** `bytes` from the first `40 01` on (a lone trailing `40` is kept). */
function skipToAnswer(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    if (
      bytes[i] === TLV_ERR && (i + 1 === bytes.length || bytes[i + 1] === 1)
    ) return bytes.subarray(i);
  }
  return bytes.subarray(bytes.length);
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
