/**
 * Turning the bytes a native driver's `aed_read` wrote into the payload
 * message of its sensor kind (ffi/README.md, "Sample formats"), checking
 * them on the way: a sample that does not fit its description is refused
 * with a {@link SampleError} saying why, never recorded.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  UwbFrameSchema,
  WifiCsiFrameSchema,
} from "../../core/proto/gen/auki_edge/rf_pb.ts";
import { rawFrameBytes } from "../../core/registries/raw_frame.ts";
import type { JointCalibration, SensorDescription } from "../driver.ts";
import { UWB_HEADER, UWB_RANGE, WIFI_CSI_HEADER } from "./abi.ts";

/** A sample that does not match its sensor's description. */
export class SampleError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SampleError";
  }
}

/** Builds the payload of one sample from the driver's bytes (copied, never kept). */
export type SampleEncoder = (bytes: Uint8Array) => Uint8Array;

/** A message whose only field `field` holds `bytes` (length-delimited). */
function bytesMessage(field: number, bytes: Uint8Array): Uint8Array {
  const head = new BinaryWriter().tag(field, WireType.LengthDelimited)
    .uint32(bytes.byteLength).finish();
  const message = new Uint8Array(head.byteLength + bytes.byteLength);
  message.set(head);
  message.set(bytes, head.byteLength);
  return message;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new SampleError(`${what} is ${value}`);
  return value;
}

function quality(value: number, what: string): number {
  if (value > 100) throw new SampleError(`${what} ${value} exceeds 100`);
  return value;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function uwbFrame(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < UWB_HEADER.size) {
    throw new SampleError(
      `UWB sample of ${bytes.byteLength} bytes is shorter than its ${UWB_HEADER.size}-byte header`,
    );
  }
  const view = viewOf(bytes);
  const count = view.getUint32(UWB_HEADER.rangeCount, true);
  const expected = UWB_HEADER.size + count * UWB_RANGE.size;
  if (bytes.byteLength !== expected) {
    throw new SampleError(
      `UWB sample with ${count} ranges needs ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  const ranges = Array.from({ length: count }, (_, i) => {
    const at = UWB_HEADER.size + i * UWB_RANGE.size;
    const raw = bytes.subarray(at, at + UWB_RANGE.anchorIdBytes);
    const end = raw.indexOf(0);
    let anchorId: string;
    try {
      anchorId = utf8.decode(raw.subarray(0, end < 0 ? raw.length : end));
    } catch {
      throw new SampleError(`range ${i}: anchor id is not UTF-8`);
    }
    if (anchorId === "") throw new SampleError(`range ${i}: empty anchor id`);
    const distanceM = finite(
      view.getFloat32(at + UWB_RANGE.distanceM, true),
      `range ${i} distance`,
    );
    if (distanceM < 0) {
      throw new SampleError(`range ${i} distance ${distanceM} is negative`);
    }
    return {
      anchorId,
      distanceM,
      quality: quality(
        view.getUint32(at + UWB_RANGE.quality, true),
        `range ${i} quality`,
      ),
    };
  });
  const hasPosition = view.getUint32(UWB_HEADER.hasPosition, true);
  if (hasPosition > 1) {
    throw new SampleError(`has_position is ${hasPosition}, not 0 or 1`);
  }
  const position = hasPosition === 1
    ? {
      x: finite(view.getFloat64(UWB_HEADER.x, true), "position x"),
      y: finite(view.getFloat64(UWB_HEADER.y, true), "position y"),
      z: finite(view.getFloat64(UWB_HEADER.z, true), "position z"),
      quality: quality(
        view.getUint32(UWB_HEADER.positionQuality, true),
        "position quality",
      ),
    }
    : undefined;
  return toBinary(UwbFrameSchema, create(UwbFrameSchema, { ranges, position }));
}

function wifiCsiFrame(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < WIFI_CSI_HEADER.size) {
    throw new SampleError(
      `WiFi CSI sample of ${bytes.byteLength} bytes is shorter than its ${WIFI_CSI_HEADER.size}-byte header`,
    );
  }
  const view = viewOf(bytes);
  const count = view.getUint32(WIFI_CSI_HEADER.subcarrierCount, true);
  const expected = WIFI_CSI_HEADER.size + count * 8;
  if (bytes.byteLength !== expected) {
    throw new SampleError(
      `WiFi CSI sample with ${count} subcarriers needs ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  const floats = (from: number, what: string) =>
    Array.from(
      { length: count },
      (_, i) => finite(view.getFloat32(from + 4 * i, true), `${what} ${i}`),
    );
  return toBinary(
    WifiCsiFrameSchema,
    create(WifiCsiFrameSchema, {
      sourceMac: bytes.slice(
        WIFI_CSI_HEADER.sourceMac,
        WIFI_CSI_HEADER.sourceMac + 6,
      ),
      rssiDbm: view.getInt32(WIFI_CSI_HEADER.rssiDbm, true),
      channel: view.getUint32(WIFI_CSI_HEADER.channel, true),
      amplitudes: floats(WIFI_CSI_HEADER.size, "amplitude"),
      phasesRad: floats(WIFI_CSI_HEADER.size + 4 * count, "phase"),
    }),
  );
}

/**
 * The encoder for samples of the sensor `description` describes; a joint
 * bank's angles become `direction * raw + offset_rad` with `joints`.
 */
export function sampleEncoder(
  description: SensorDescription,
  joints?: JointCalibration,
): SampleEncoder {
  const sensor = description.sensor;
  switch (sensor.kind) {
    case "camera": {
      const raw = sensor.image_encoding === "raw";
      const expected = raw
        ? rawFrameBytes(
          sensor.pixel_format,
          sensor.row_stride_bytes,
          sensor.height,
        )
        : 0;
      const jpeg = sensor.image_encoding === "jpeg";
      return (bytes) => {
        if (raw && bytes.byteLength !== expected) {
          throw new SampleError(
            `raw ${sensor.pixel_format} frame of ${bytes.byteLength} bytes; ${sensor.width}x${sensor.height} with row_stride_bytes ${sensor.row_stride_bytes} is ${expected}`,
          );
        }
        if (jpeg && (bytes[0] !== 0xff || bytes[1] !== 0xd8)) {
          throw new SampleError("jpeg frame does not start with FF D8");
        }
        // CameraFrame: field 2 `frame`.
        return bytesMessage(2, bytes);
      };
    }
    case "rangefinder":
      return (bytes) => {
        if (bytes.byteLength % sensor.point_step !== 0) {
          throw new SampleError(
            `${bytes.byteLength} bytes are not whole points of point_step ${sensor.point_step}`,
          );
        }
        // auki.point_cloud.Data: field 1 `data`.
        return bytesMessage(1, bytes);
      };
    case "joint_encoders":
      return (bytes) => {
        const expected = 4 * sensor.joint_count;
        if (bytes.byteLength !== expected) {
          throw new SampleError(
            `${bytes.byteLength} bytes for ${sensor.joint_count} joints; expected ${expected} (float32 each)`,
          );
        }
        const view = viewOf(bytes);
        for (let j = 0; j < sensor.joint_count; j++) {
          finite(view.getFloat32(4 * j, true), `joint ${j} angle`);
        }
        // auki.joint_encoders.Data: packed `repeated float angles_rad = 1`
        // is exactly the little-endian floats, length-delimited.
        const message = bytesMessage(1, bytes);
        if (joints !== undefined) {
          const angles = viewOf(
            message.subarray(message.byteLength - expected),
          );
          for (let j = 0; j < sensor.joint_count; j++) {
            const raw = angles.getFloat32(4 * j, true);
            angles.setFloat32(
              4 * j,
              joints.directions[j] * raw + joints.offsets_rad[j],
              true,
            );
          }
        }
        return message;
      };
    case "rf":
      return description.payload === "auki_edge.rf.uwb"
        ? uwbFrame
        : wifiCsiFrame;
    default:
      throw new Error(`no sample encoder for sensor kind ${sensor.kind}`);
  }
}
