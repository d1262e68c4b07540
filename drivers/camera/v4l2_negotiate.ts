/**
 * Opening a V4L2 camera for capture: check it streams video, pick the first
 * preferred pixel format it offers, `VIDIOC_S_FMT` the requested size and
 * take what the device chose, then ask for the frame rate.
 *
 * @module
 */
import { V4L2_FORMATS } from "./v4l2_formats.ts";
import {
  type V4l2Capability,
  V4l2Device,
  type V4l2Format,
} from "./v4l2_device.ts";
import type { V4l2Libc } from "./v4l2_libc.ts";

/** What the camera asks of the device. */
export interface CaptureRequest {
  /** Device path, e.g. `/dev/video0`. */
  device: string;
  /** Pixels. */
  width: number;
  /** Pixels. */
  height: number;
  /** Frames per second. */
  fps: number;
  /** Fourcc names in order of preference. */
  formats: string[];
}

/** An opened, negotiated device. */
export interface NegotiatedCamera {
  /** The device, not streaming yet. */
  device: V4l2Device;
  /** What it is. */
  capability: V4l2Capability;
  /** The format it chose. */
  format: V4l2Format;
  /** The frame rate it chose (the requested one when it cannot set one). */
  fps: number;
}

/** A device that cannot serve the request, whatever retrying does. */
export class UnsuitableDeviceError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UnsuitableDeviceError";
  }
}

/** Opens and negotiates `request`; the device is closed again on failure. */
export function negotiate(
  libc: V4l2Libc,
  request: CaptureRequest,
): NegotiatedCamera {
  const device = V4l2Device.open(libc, request.device);
  try {
    const capability = device.capability();
    if (!capability.canStream) {
      throw new UnsuitableDeviceError(
        `${request.device} (${capability.card}) is not a streaming video capture device`,
      );
    }
    const offered = device.formats();
    const chosen = request.formats.find((f) => offered.includes(f));
    if (chosen === undefined) {
      throw new UnsuitableDeviceError(
        `${request.device} (${capability.card}) offers ${
          offered.join(", ") || "no formats"
        }, none of ${request.formats.join(", ")}`,
      );
    }
    const format = device.setFormat(chosen, request.width, request.height);
    if (V4L2_FORMATS[format.pixelFormat] === undefined) {
      throw new UnsuitableDeviceError(
        `${request.device} switched to unsupported format ${format.pixelFormat} when asked for ${chosen}`,
      );
    }
    const fps = device.setFrameRate(request.fps) ?? request.fps;
    return { device, capability, format, fps };
  } catch (error) {
    device.close();
    throw error;
  }
}
