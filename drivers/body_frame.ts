/**
 * The frame entry of a sensor body: the ROS body convention in meters, named
 * `<sensor id>_link` unless the configuration names it.
 *
 * @module
 */
import { FRAME_PRESETS } from "../core/registries/entries.ts";
import type { SensorDescription } from "./driver.ts";

/** The `ros_body` frame in meters of sensor `id`, called `frameId` or `<id>_link`. */
export function bodyFrame(
  id: string,
  frameId?: string,
): SensorDescription["frame"] {
  return {
    frame_id: frameId ?? `${id}_link`,
    ...FRAME_PRESETS.ros_body,
    units: "meters",
  };
}
