/**
 * `serial.rplidar`: a Slamtec RPLIDAR A1 or A2 2D lidar in standard scan
 * mode (default 115200 baud, the A1 and A2M8; set `baud: 256000` for the
 * A2M12 and A3). Each revolution is published as one `point_cloud_frame`
 * of packed little-endian float32 `x, y, z, intensity` records, the layout
 * of `sim.lidar2d` (`LIDAR_FIELDS`); see `rplidar_session.ts` for
 * what the driver sends (motor line, STOP, health, info, SCAN) and
 * `rplidar_scan.ts` for the revolutions.
 *
 * @module
 */
import type { DriverFactory } from "../driver.ts";
import { selectorOf, serialConfig } from "../serial/config.ts";
import { serialDriver } from "../serial/serial_driver.ts";
import { RplidarSession } from "./rplidar_session.ts";
import { lidar2dDescription } from "./lidar2d.ts";

/** The A1's and A2M8's line speed. */
export const RPLIDAR_BAUD = 115200;

const Config = serialConfig(
  { baud: RPLIDAR_BAUD, id: "rplidar", rateHz: 10 },
  {},
);

/** The `serial.rplidar` driver. */
export const serialRplidar: DriverFactory<typeof Config> = {
  name: "serial.rplidar",
  summary:
    "Slamtec RPLIDAR A1 / A2 2D lidar on a serial port (standard scan, one scan per turn)",
  config: Config,
  create(config) {
    return serialDriver(lidar2dDescription(config), {
      model: "RPLIDAR",
      selector: selectorOf(config),
      baudRate: config.baud,
      decoder: () => new RplidarSession(),
    });
  },
};
