/**
 * Whether a sensor's entries fit a stream frame: a raw camera frame larger
 * than the 16 MiB stream cap could be recorded but never served (every
 * subscriber's stream would die), so such a sensor is refused at start.
 * Encoded images (jpeg, mjpeg) vary in size and stay allowed.
 *
 * @module
 */
import { FRAME_CAPS } from "../../core/codec/framing.ts";
import type { SensorDescription } from "../../drivers/driver.ts";
import { rawFrameBytes } from "../../core/registries/raw_frame.ts";

/** Bytes a stream entry adds around its payload (header, timestamps, message fields), rounded up. */
export const ENTRY_OVERHEAD_BYTES = 1024;

/** Why `description`'s entries cannot be streamed, or `undefined` when they fit. */
export function unstreamableReason(
  description: SensorDescription,
): string | undefined {
  const sensor = description.sensor;
  if (sensor.kind !== "camera" || sensor.image_encoding !== "raw") {
    return undefined;
  }
  const bytes = rawFrameBytes(
    sensor.pixel_format,
    sensor.row_stride_bytes,
    sensor.height,
  );
  if (bytes + ENTRY_OVERHEAD_BYTES <= FRAME_CAPS.stream) return undefined;
  return `each ${sensor.width}x${sensor.height} raw ${sensor.pixel_format} frame is ${bytes} bytes, more than fits the ${FRAME_CAPS.stream}-byte stream frame cap; lower the resolution or use a compressed (jpeg) format`;
}
