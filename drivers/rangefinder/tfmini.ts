/**
 * `serial.tfmini`: a Benewake TFmini-S or TFmini Plus single-point lidar on
 * a serial port (default 115200 baud).
 *
 * Every frame is published as a one-point `point_cloud_frame` in the
 * `sim.lidar2d` record layout ({@link LIDAR_FIELDS}): the point lies on the
 * beam, `x = distance` in meters, `y = z = 0`, with `intensity` = the raw
 * signal strength. An invalid reading (too weak, overexposed, or any
 * TFmini-S error code: a distance of 0xFFF0 or more, i.e. a negative int16,
 * see `tfmini_protocol.ts`) is still published, so the stream keeps the
 * device's rate and says "no trustworthy return", as a point whose x, y and
 * z are NaN (the PCL convention for invalid points), intensity = strength.
 * Samples are timestamped when their bytes arrive.
 *
 * @module
 */
import type { DriverFactory } from "../driver.ts";
import { selectorOf, serialConfig } from "../serial/config.ts";
import type { Decoded, ProtocolDecoder } from "../serial/device.ts";
import { serialDriver } from "../serial/serial_driver.ts";
import {
  lidar2dDescription,
  type LidarPoint,
  type LidarProperties,
  scanPayload,
} from "./lidar2d.ts";
import {
  isValidReading,
  TFMINI_RANGE_MAX_M,
  TFMINI_RANGE_MIN_M,
  TFMINI_SATURATED,
  TfminiDecoder,
  type TfminiFrame,
} from "./tfmini_protocol.ts";

/** The TFmini's default line speed. */
export const TFMINI_BAUD = 115200;

const Config = serialConfig(
  { baud: TFMINI_BAUD, id: "tfmini", rateHz: 100 },
  {},
);

/** What the TFmini's entry says: intensity the raw signal strength, 0.1 to 12 m, a single beam. */
export const TFMINI_PROPERTIES: LidarProperties = {
  intensity_meaning: "tfmini_signal_strength",
  intensity_min: 0,
  intensity_max: TFMINI_SATURATED,
  range_min_m: TFMINI_RANGE_MIN_M,
  range_max_m: TFMINI_RANGE_MAX_M,
};

/** The published point of a frame (see the module notes). */
export function tfminiPoint(frame: TfminiFrame): LidarPoint {
  return isValidReading(frame)
    ? { x: frame.distanceCm / 100, y: 0, z: 0, intensity: frame.strength }
    : { x: NaN, y: NaN, z: NaN, intensity: frame.strength };
}

/** Decodes TFmini bytes into one single-point payload per frame. */
export function tfminiDecoder(): ProtocolDecoder {
  const frames = new TfminiDecoder();
  return {
    push(bytes, nowNs): Decoded {
      const decoded = frames.push(bytes);
      return {
        samples: decoded.frames.map((frame) => ({
          payload: scanPayload([tfminiPoint(frame)]),
          timestampNs: nowNs,
        })),
        valid: decoded.frames.length,
        corrupt: decoded.corrupt,
      };
    },
    reset() {
      frames.reset();
    },
  };
}

/** The `serial.tfmini` driver. */
export const serialTfmini: DriverFactory<typeof Config> = {
  name: "serial.tfmini",
  summary:
    "Benewake TFmini-S / TFmini Plus single-point lidar on a serial port",
  config: Config,
  create(config) {
    return serialDriver(
      lidar2dDescription(config, TFMINI_PROPERTIES, "1d_lidar"),
      {
        model: "TFmini",
        selector: selectorOf(config),
        baudRate: config.baud,
        decoder: tfminiDecoder,
      },
    );
  },
};
