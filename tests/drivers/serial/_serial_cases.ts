/**
 * The six serial drivers with their device simulators, the table the
 * parameterised serial driver tests run over.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { PointCloudDataSchema } from "../../../core/proto/payload_schemas.ts";
import type { DriverFactory } from "../../../drivers/driver.ts";
import { LD06_BAUD, serialLd06 } from "../../../drivers/rangefinder/ld06.ts";
import { ld06Source } from "../../../drivers/rangefinder/ld06_device_sim.ts";
import {
  RPLIDAR_BAUD,
  serialRplidar,
} from "../../../drivers/rangefinder/rplidar.ts";
import { RplidarSim } from "../../../drivers/rangefinder/rplidar_device_sim.ts";
import {
  serialTfmini,
  TFMINI_BAUD,
} from "../../../drivers/rangefinder/tfmini.ts";
import {
  swingScene,
  tfminiSource,
} from "../../../drivers/rangefinder/tfmini_device_sim.ts";
import { DWM1001_BAUD, serialDwm1001 } from "../../../drivers/rf/dwm1001.ts";
import { Dwm1001Sim } from "../../../drivers/rf/dwm1001_device_sim.ts";
import { ESP_CSI_BAUD, serialEspCsi } from "../../../drivers/rf/esp_csi.ts";
import { EspCsiSim } from "../../../drivers/rf/esp_csi_device_sim.ts";
import {
  DYNAMIXEL_BAUD,
  serialDynamixel,
} from "../../../drivers/joint_encoders/dynamixel.ts";
import { DynamixelSim } from "../../../drivers/joint_encoders/dynamixel_device_sim.ts";
import type { ByteSource } from "../../../drivers/serial/packet_source.ts";

/** A serial driver and the device simulators it is tried against. */
export interface SerialCase {
  /** The driver. */
  factory: DriverFactory;
  /** The device model, as the driver's messages name it. */
  model: string;
  /** The model with its article. */
  article: string;
  /** The driver's configuration besides its port. */
  config: Record<string, unknown>;
  /** A fresh simulator of the driver's device. */
  device(): ByteSource;
  /** The device's baud rate. */
  baud: number;
  /** A baud rate the device does not use. */
  wrongBaud: number;
  /** A fresh simulator of another device, and its baud rate. */
  other: { device(): ByteSource; baud: number };
  /** Whether the driver must ask its device (it reports "no answer" when nothing comes back). */
  asks: boolean;
  /** Checks one payload the agent served from the default simulator, where the table has a check. */
  checkPayload?(payload: Uint8Array): void;
}

/**
 * The distances the TFmini simulator sends, cm: its target swings through
 * one period in 400 frames.
 */
const TFMINI_SENT = new Set(
  Array.from({ length: 400 }, (_, i) => swingScene(i / 100).distanceCm),
);

/** Asserts a TFmini payload is one point at a distance the simulator sends. */
function checkTfminiPayload(payload: Uint8Array): void {
  const { data } = fromBinary(PointCloudDataSchema, payload);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const cm = view.getFloat32(0, true) * 100;
  assert.ok(TFMINI_SENT.has(Math.round(cm)), `${cm} cm`);
  assert.ok(Math.abs(cm - Math.round(cm)) < 1e-4);
}

/** The LD06 simulator, as another device on the port. */
const LD06_DEVICE = { device: () => ld06Source(), baud: LD06_BAUD };
/** The TFmini simulator, as another device on the port. */
const TFMINI_DEVICE = { device: () => tfminiSource(), baud: TFMINI_BAUD };

/** The six serial drivers. */
export const SERIAL_CASES: SerialCase[] = [
  {
    factory: serialLd06,
    model: "LD06",
    article: "an LD06",
    config: {},
    ...LD06_DEVICE,
    wrongBaud: 115200,
    other: TFMINI_DEVICE,
    asks: false,
  },
  {
    factory: serialTfmini,
    model: "TFmini",
    article: "a TFmini",
    config: {},
    ...TFMINI_DEVICE,
    wrongBaud: 57600,
    other: LD06_DEVICE,
    asks: false,
    checkPayload: checkTfminiPayload,
  },
  {
    factory: serialRplidar,
    model: "RPLIDAR",
    article: "an RPLIDAR",
    config: {},
    device: () => new RplidarSim(),
    baud: RPLIDAR_BAUD,
    wrongBaud: 256000,
    other: LD06_DEVICE,
    asks: true,
  },
  {
    factory: serialDwm1001,
    model: "DWM1001",
    article: "a DWM1001",
    config: { rate_hz: 20 },
    device: () => new Dwm1001Sim(),
    baud: DWM1001_BAUD,
    wrongBaud: 57600,
    other: TFMINI_DEVICE,
    asks: true,
  },
  {
    factory: serialEspCsi,
    model: "ESP32 CSI",
    article: "an ESP32 CSI",
    config: {},
    device: () => new EspCsiSim(),
    baud: ESP_CSI_BAUD,
    wrongBaud: 115200,
    other: LD06_DEVICE,
    asks: false,
  },
  {
    factory: serialDynamixel,
    model: "DYNAMIXEL",
    article: "a DYNAMIXEL",
    config: { servos: [{ id: 1 }, { id: 2 }, { id: 5 }] },
    device: () => new DynamixelSim({ ids: [1, 2, 5] }),
    baud: DYNAMIXEL_BAUD,
    wrongBaud: 115200,
    other: LD06_DEVICE,
    asks: true,
  },
];
