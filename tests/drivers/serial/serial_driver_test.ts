/**
 * What every serial driver does alike, written once over a table of the six
 * drivers, each against its device simulator through a real socat pty pair:
 * configuration mistakes are refused naming the key, an unplugged device
 * goes offline within 1 s and comes back when plugged in again, and a wrong
 * baud rate or a wrong device on the port is reported naming the port.
 * What each driver decodes is tested beside it (`*_driver_test.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
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
import { tfminiSource } from "../../../drivers/rangefinder/tfmini_device_sim.ts";
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
import { configErrors } from "../fake_sink.ts";
import { ptyTest, runDriver, runHotplug } from "../../helpers/serial.ts";

/** A serial driver and the device simulators it is tried against. */
interface SerialCase {
  /** The driver. */
  factory: DriverFactory;
  /** The device model with its article, as the driver's messages name it. */
  model: string;
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
}

const LD06_DEVICE = { device: () => ld06Source(), baud: LD06_BAUD };
const TFMINI_DEVICE = { device: () => tfminiSource(), baud: TFMINI_BAUD };

/** The six serial drivers. */
const CASES: SerialCase[] = [
  {
    factory: serialLd06,
    model: "an LD06",
    config: {},
    ...LD06_DEVICE,
    wrongBaud: 115200,
    other: TFMINI_DEVICE,
    asks: false,
  },
  {
    factory: serialTfmini,
    model: "a TFmini",
    config: {},
    ...TFMINI_DEVICE,
    wrongBaud: 57600,
    other: LD06_DEVICE,
    asks: false,
  },
  {
    factory: serialRplidar,
    model: "an RPLIDAR",
    config: {},
    device: () => new RplidarSim(),
    baud: RPLIDAR_BAUD,
    wrongBaud: 256000,
    other: LD06_DEVICE,
    asks: true,
  },
  {
    factory: serialDwm1001,
    model: "a DWM1001",
    config: { rate_hz: 20 },
    device: () => new Dwm1001Sim(),
    baud: DWM1001_BAUD,
    wrongBaud: 57600,
    other: TFMINI_DEVICE,
    asks: true,
  },
  {
    factory: serialEspCsi,
    model: "an ESP32 CSI",
    config: {},
    device: () => new EspCsiSim(),
    baud: ESP_CSI_BAUD,
    wrongBaud: 115200,
    other: LD06_DEVICE,
    asks: false,
  },
  {
    factory: serialDynamixel,
    model: "a DYNAMIXEL",
    config: { servos: [{ id: 1 }, { id: 2 }, { id: 5 }] },
    device: () => new DynamixelSim({ ids: [1, 2, 5] }),
    baud: DYNAMIXEL_BAUD,
    wrongBaud: 115200,
    other: LD06_DEVICE,
    asks: true,
  },
];

for (const c of CASES) {
  const name = c.factory.name;
  const model = c.model.replace(/^an? /, "");

  Deno.test(`${name}: configuration mistakes are refused naming the key`, () => {
    const port = { ...c.config, port: "/dev/a" };
    assert.match(configErrors(c.factory, c.config), /port: set exactly one/);
    assert.match(
      configErrors(c.factory, { ...port, port_id: "10c4:ea60" }),
      /port: set exactly one of port/,
    );
    assert.match(
      configErrors(c.factory, { ...c.config, port: "" }),
      /port: must not be empty/,
    );
    assert.match(
      configErrors(c.factory, { ...port, speed: 1 }),
      /Unrecognized key: "speed"/,
    );
    assert.match(
      configErrors(c.factory, { ...port, baud: 9600.5 }),
      /baud: must be a whole number/,
    );
    assert.match(
      configErrors(c.factory, { ...port, baud: 0 }),
      /baud: must be positive/,
    );
    assert.match(
      configErrors(c.factory, { ...port, rate_hz: 0 }),
      /rate_hz: must be greater than 0 Hz/,
    );
  });

  ptyTest(
    `${name}: unplugged, it goes offline within 1 s; plugged back, it is online again`,
    async () => {
      const run = await runHotplug(c.factory, c.device(), c.config, c.baud);
      const offline = run.sink.events.find((e) => e.kind === "offline");
      assert.equal(
        offline?.kind === "offline" && offline.reason,
        "source_ended",
      );
      assert.ok(run.offlineAfterMs < 1_000, `offline ${run.offlineAfterMs} ms`);
      assert.ok(run.onlineAfterMs < 3_000, `online ${run.onlineAfterMs} ms`);
    },
  );

  ptyTest(
    `${name}: a wrong baud rate or another device on the port is reported naming the port`,
    async () => {
      const [wrongBaud, wrongDevice] = await Promise.all([
        runDriver(
          c.factory,
          c.device(),
          { ...c.config, baud: c.wrongBaud },
          2_400,
          c.baud,
        ),
        runDriver(c.factory, c.other.device(), c.config, 2_400, c.other.baud),
      ]);
      for (const { sink } of [wrongBaud, wrongDevice]) {
        assert.equal(sink.samples.length, 0);
        assert.ok(!sink.events.some((e) => e.kind === "online"));
      }
      const errorOf = (lines: string[]) =>
        lines.find((l) => l.startsWith("ERROR"));
      const noValid = (host: string) =>
        `ERROR no valid ${model} packet in 2 s on ${host}: wrong baud rate or not ${c.model}`;
      if (c.asks) {
        assert.equal(
          errorOf(wrongBaud.lines),
          `ERROR no answer in 2 s on ${wrongBaud.host}: wrong baud rate (${c.wrongBaud} baud configured), not ${c.model}, or not connected and powered`,
        );
      } else {
        assert.equal(
          errorOf(wrongBaud.lines)?.replace(/ \(.*$/, ""),
          noValid(wrongBaud.host),
        );
        assert.match(
          errorOf(wrongBaud.lines)!,
          new RegExp(
            `\\(${c.wrongBaud} baud configured; [1-9]\\d* bytes, \\d+ corrupt packets received\\)$`,
          ),
        );
      }
      assert.equal(
        errorOf(wrongDevice.lines)?.replace(/ \(.*$/, ""),
        noValid(wrongDevice.host),
      );
    },
  );
}
