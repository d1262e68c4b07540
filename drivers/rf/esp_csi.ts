/**
 * `serial.esp_csi`: WiFi channel state information from an ESP32 running
 * one of Espressif's esp-csi examples, read from its console (default
 * 921600 baud, the examples' setting). Every `CSI_DATA` line (see
 * `esp_csi_protocol.ts` for the columns) is published as an
 * `auki_edge.rf.WifiCsiFrame` (rf sensor of type `wifi`, payload
 * `auki_edge.rf.wifi_csi`): transmitter MAC, RSSI, channel, and per
 * subcarrier the amplitude `sqrt(re² + im²)` and phase `atan2(im, re)` of
 * the buffer's (imaginary, real) pairs, NaN for the two subcarriers of an
 * invalid first word; with them what maps the buffer's entries to
 * subcarrier indices (signal mode, bandwidth, secondary channel, STBC, by
 * the tables of ESP-IDF's "Wi-Fi Channel State Information" guide), short
 * GI, noise floor, rate and MCS, the first-word flag, the ESP32's own
 * microsecond timestamp, and with `raw_iq: true` the buffer itself. Lines
 * are timestamped on arrival (the ESP32's own microsecond clock is not
 * related to ours; it is carried as `device_timestamp_us`).
 *
 * A `CSI_DATA` line that does not parse, or one cut short and run into the
 * next, counts as a corrupt packet and is skipped. The console's other
 * output (boot messages, logs, the header line) is skipped uncounted.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { z } from "zod";
import { WifiCsiFrameSchema } from "../../core/proto/gen/auki_edge/rf_pb.ts";
import type { DriverFactory } from "../driver.ts";
import { selectorOf, serialConfig } from "../serial/config.ts";
import type { Decoded, ProtocolDecoder } from "../serial/device.ts";
import { serialDriver } from "../serial/serial_driver.ts";
import {
  CSI_PREFIX,
  type CsiRecord,
  LineSplitter,
  parseCsiLine,
  subcarriers,
} from "./esp_csi_protocol.ts";
import { bodyFrame } from "../body_frame.ts";

/** The esp-csi examples' console speed. */
export const ESP_CSI_BAUD = 921600;
/** The longest console line kept, bytes (a 384-value HT40 line is about 2 KB). */
const MAX_LINE_BYTES = 16 * 1024;

const Config = serialConfig(
  { baud: ESP_CSI_BAUD, id: "esp_csi", rateHz: 100 },
  { raw_iq: z.boolean().default(false) },
);

/** The payload of one record; with `rawIq` the buffer's bytes too. */
export function csiFrame(record: CsiRecord, rawIq = false): Uint8Array {
  const { amplitudes, phases } = subcarriers(record);
  const f = record.fields;
  return toBinary(
    WifiCsiFrameSchema,
    create(WifiCsiFrameSchema, {
      sourceMac: record.mac,
      rssiDbm: f.rssi,
      channel: f.channel,
      amplitudes,
      phasesRad: phases,
      sigMode: f.sig_mode,
      bandwidth: f.bandwidth,
      secondaryChannel: f.secondary_channel,
      stbc: f.stbc !== 0,
      shortGi: f.sgi !== 0,
      noiseFloorDbm: f.noise_floor,
      rate: f.rate,
      mcs: f.mcs,
      // The column is printed from a u32; keep it in range whatever it says.
      deviceTimestampUs: f.local_timestamp >>> 0,
      firstWordInvalid: f.first_word !== 0,
      ...(rawIq
        ? {
          rawIq: new Uint8Array(
            record.data.buffer,
            record.data.byteOffset,
            record.data.byteLength,
          ),
        }
        : {}),
    }),
  );
}

/** Decodes console bytes into one payload per `CSI_DATA` line; `rawIq` carries the buffer too. */
export function espCsiDecoder(rawIq = false): ProtocolDecoder {
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  return {
    push(bytes, nowNs): Decoded {
      const { lines, overlong } = splitter.push(bytes);
      const samples: Decoded["samples"] = [];
      let corrupt = overlong;
      for (const line of lines) {
        const start = line.lastIndexOf(CSI_PREFIX);
        if (start < 0) continue;
        // An earlier record in the same line was cut short.
        if (line.indexOf(CSI_PREFIX) < start) corrupt++;
        const record = parseCsiLine(line.slice(start));
        if (typeof record === "string") {
          corrupt++;
          continue;
        }
        samples.push({ payload: csiFrame(record, rawIq), timestampNs: nowNs });
      }
      return { samples, valid: samples.length, corrupt };
    },
    reset() {
      splitter.reset();
    },
  };
}

/** The `serial.esp_csi` driver. */
export const serialEspCsi: DriverFactory<typeof Config> = {
  name: "serial.esp_csi",
  summary:
    "ESP32 WiFi CSI from Espressif's esp-csi examples (CSI_DATA lines on the console)",
  config: Config,
  create(config) {
    return serialDriver({
      sensor: { sensor_id: config.id, kind: "rf", type: "wifi" },
      frame: bodyFrame(config.id, config.frame_id),
      payload: "auki_edge.rf.wifi_csi",
      rateHz: config.rate_hz,
    }, {
      model: "ESP32 CSI",
      selector: selectorOf(config),
      baudRate: config.baud,
      decoder: () => espCsiDecoder(config.raw_iq),
    });
  },
};
