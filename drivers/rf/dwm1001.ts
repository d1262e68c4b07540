/**
 * `serial.dwm1001`: a Qorvo (Decawave) DWM1001 UWB tag on its UART TLV API
 * (default 115200 baud), polled with `dwm_loc_get` at `rate_hz`.
 *
 * Publishes the rf sensor (type `uwb`, payload `auki_edge.rf.uwb`, message
 * `auki_edge.rf.UwbFrame`) in the UWB area frame (`frame_id`, default
 * `uwb_area`: the frame the anchors were surveyed in, ros_body axes,
 * meters), and the tag's position as a movable pose log from that frame
 * to the tag frame (`tag_frame_id`, default `<id>_link`), served as the
 * `pose_log` resource `<frame_id>-><tag_frame_id>`. See `dwm1001_tag.ts`
 * for what each answer becomes.
 *
 * @module
 */
import { FRAME_PRESETS, RegistryId } from "../../core/registries/entries.ts";
import type { DriverFactory } from "../driver.ts";
import { RateHz } from "../sim/config.ts";
import { selectorOf, serialConfig } from "../serial/config.ts";
import { serialDriver } from "../serial/serial_driver.ts";
import { Dwm1001Tag } from "./dwm1001_tag.ts";
import { bodyFrame } from "../body_frame.ts";

/** The DWM1001 UART's line speed. */
export const DWM1001_BAUD = 115200;

const Config = serialConfig({ baud: DWM1001_BAUD, id: "dwm1001", rateHz: 10 }, {
  frame_id: RegistryId.default("uwb_area"),
  tag_frame_id: RegistryId.optional(),
  rate_hz: RateHz.max(100, "must be at most 100 Hz").default(10),
}).refine(
  (c) => (c.tag_frame_id ?? `${c.id}_link`) !== c.frame_id,
  {
    message: "the tag frame must differ from the UWB area frame (frame_id)",
    path: ["tag_frame_id"],
  },
);

/** The `serial.dwm1001` driver. */
export const serialDwm1001: DriverFactory<typeof Config> = {
  name: "serial.dwm1001",
  summary:
    "Qorvo DWM1001 UWB tag on its UART TLV API (ranges, position and a pose log)",
  config: Config,
  create(config) {
    const area = {
      frame_id: config.frame_id,
      ...FRAME_PRESETS.ros_body,
      units: "meters" as const,
    };
    return serialDriver({
      sensor: { sensor_id: config.id, kind: "rf", type: "uwb" },
      frame: area,
      payload: "auki_edge.rf.uwb",
      rateHz: config.rate_hz,
      poses: [{
        fromFrame: area,
        toFrame: bodyFrame(config.id, config.tag_frame_id),
        writerMode: "movable",
        rateHz: config.rate_hz,
      }],
    }, {
      model: "DWM1001",
      selector: selectorOf(config),
      baudRate: config.baud,
      decoder: () => new Dwm1001Tag(config.rate_hz),
    });
  },
};
