/**
 * `serial.rplidar`: a Slamtec RPLIDAR A1 or A2 2D lidar in standard scan
 * mode (default 115200 baud, the A1 and A2M8; set `baud: 256000` for the
 * A2M12 and A3). Each revolution is published as one `point_cloud_frame`
 * of packed little-endian float32 `x, y, z, intensity` records, the layout
 * of `sim.lidar2d` (`LIDAR_FIELDS`); see `rplidar_session.ts` for
 * what the driver sends (motor line, STOP, health, info, SCAN) and
 * `rplidar_scan.ts` for the revolutions.
 *
 * Frame convention: by default the points follow the device (x towards the
 * RPLIDAR's 0°, as for the LD06). Slamtec's ROS driver (`rplidar_ros`,
 * `publish_scan`) publishes the angle `π - a` instead, so its `laser_frame`
 * x axis points at the device's 180°; `orientation: "rplidar_ros"` puts
 * the points in that frame (x and y negated), so URDFs and extrinsics made
 * for the ROS driver apply unchanged.
 *
 * @module
 */
import { z } from "zod";
import type { DriverFactory } from "../driver.ts";
import { selectorOf, serialConfig } from "../serial/config.ts";
import { serialDriver } from "../serial/serial_driver.ts";
import { RplidarSession } from "./rplidar_session.ts";
import { lidar2dDescription, type LidarProperties } from "./lidar2d.ts";

/** The A1's and A2M8's line speed. */
export const RPLIDAR_BAUD = 115200;

const Config = serialConfig(
  { baud: RPLIDAR_BAUD, id: "rplidar", rateHz: 10 },
  {
    orientation: z.enum(["device", "rplidar_ros"]).default("device"),
  },
);

/**
 * What the RPLIDAR's entry says: intensity the node quality 0-63, 0.15 to
 * 12 m (A1/A2 datasheets; Slamtec's ROS driver uses 0.15 m as well),
 * clockwise sweep (in either orientation: `π - a` turns the same way).
 */
export const RPLIDAR_PROPERTIES: LidarProperties = {
  intensity_meaning: "rplidar_quality",
  intensity_min: 0,
  intensity_max: 63,
  range_min_m: 0.15,
  range_max_m: 12,
  scan_direction: "clockwise",
};

/** The `serial.rplidar` driver. */
export const serialRplidar: DriverFactory<typeof Config> = {
  name: "serial.rplidar",
  summary:
    "Slamtec RPLIDAR A1 / A2 2D lidar on a serial port (standard scan, one scan per turn)",
  config: Config,
  create(config) {
    return serialDriver(lidar2dDescription(config, RPLIDAR_PROPERTIES), {
      model: "RPLIDAR",
      selector: selectorOf(config),
      baudRate: config.baud,
      decoder: () => new RplidarSession(config.orientation),
    });
  },
};
