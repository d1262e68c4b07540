/**
 * `serial.ld06`: an LDROBOT LD06 or LD19 2D lidar on a serial port
 * (default 230400 baud). Each revolution is published as one
 * `point_cloud_frame` of packed little-endian float32 `x, y, z, intensity`
 * records, the layout of `sim.lidar2d` (`LIDAR_FIELDS`); see
 * `ld06_scan.ts` for the frame, timestamps and dropped points.
 *
 * @module
 */
import type { DriverFactory } from "../driver.ts";
import { selectorOf, serialConfig } from "../serial/config.ts";
import type { Decoded, ProtocolDecoder } from "../serial/device.ts";
import { serialDriver } from "../serial/serial_driver.ts";
import { Ld06Decoder } from "./ld06_protocol.ts";
import { ScanAssembler, scanToPoints } from "./ld06_scan.ts";
import {
  lidar2dDescription,
  type LidarProperties,
  scanPayload,
} from "./lidar2d.ts";

/** The LD06's line speed. */
export const LD06_BAUD = 230400;

const Config = serialConfig({ baud: LD06_BAUD, id: "ld06", rateHz: 10 }, {});

/** What the LD06's entry says: intensity 0-255, 0.02 to 12 m (its datasheet), clockwise sweep. */
export const LD06_PROPERTIES: LidarProperties = {
  intensity_meaning: "ld06_intensity",
  intensity_min: 0,
  intensity_max: 255,
  range_min_m: 0.02,
  range_max_m: 12,
  scan_direction: "clockwise",
};

/** Decodes LD06 bytes into one packed point cloud payload per revolution. */
export function ld06Decoder(): ProtocolDecoder {
  const packets = new Ld06Decoder();
  const scans = new ScanAssembler();
  return {
    push(bytes, nowNs): Decoded {
      const { packets: decoded, corrupt } = packets.push(bytes);
      const samples: Decoded["samples"] = [];
      for (const packet of decoded) {
        for (const scan of scans.push(packet, nowNs)) {
          samples.push({
            payload: scanPayload(scanToPoints(scan), scan.durationNs),
            timestampNs: scan.timestampNs,
          });
        }
      }
      return { samples, valid: decoded.length, corrupt };
    },
    reset() {
      packets.reset();
      scans.reset();
    },
  };
}

/** The `serial.ld06` driver. */
export const serialLd06: DriverFactory<typeof Config> = {
  name: "serial.ld06",
  summary: "LDROBOT LD06 / LD19 2D lidar on a serial port (one scan per turn)",
  config: Config,
  create(config) {
    return serialDriver(lidar2dDescription(config, LD06_PROPERTIES), {
      model: "LD06",
      selector: selectorOf(config),
      baudRate: config.baud,
      decoder: ld06Decoder,
    });
  },
};
