/**
 * `serial.esp_csi` against the ESP32 CSI simulator through a real socat pty
 * pair: amplitudes, phases, MAC, RSSI and channel equal what the simulator
 * printed, and damaged lines are counted and never published. What every
 * serial driver does alike is `../serial/serial_driver_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { WifiCsiFrameSchema } from "../../../core/proto/gen/auki_edge/rf_pb.ts";
import { ESP_CSI_BAUD, serialEspCsi } from "../../../drivers/rf/esp_csi.ts";
import type { CsiRecord } from "../../../drivers/rf/esp_csi_protocol.ts";
import { EspCsiSim } from "../../../drivers/rf/esp_csi_device_sim.ts";
import type { Fault } from "../../../drivers/serial/packet_source.ts";
import { registryEntries } from "../fake_sink.ts";
import { ptyTest, runDriver } from "../../helpers/serial.ts";

/** Asserts a published frame is `record`'s channel, worked out independently. */
function assertFrame(payload: Uint8Array, record: CsiRecord): void {
  const frame = fromBinary(WifiCsiFrameSchema, payload);
  assert.deepEqual(frame.sourceMac, record.mac);
  assert.equal(frame.rssiDbm, record.fields.rssi);
  assert.equal(frame.channel, record.fields.channel);
  assert.equal(frame.amplitudes.length, 64);
  for (let k = 0; k < 64; k++) {
    const im = record.data[2 * k];
    const re = record.data[2 * k + 1];
    assert.equal(
      frame.amplitudes[k],
      Math.fround(Math.sqrt(re * re + im * im)),
    );
    assert.equal(frame.phasesRad[k], Math.fround(Math.atan2(im, re)));
  }
}

Deno.test("serial.esp_csi: configuration defaults and the sensor", () => {
  const config = serialEspCsi.config.parse({ port: "/dev/ttyUSB0" });
  assert.deepEqual(config, {
    port: "/dev/ttyUSB0",
    baud: 921600,
    id: "esp_csi",
    rate_hz: 100,
  });
  const { description } = serialEspCsi.create(config);
  const { sensor, frame } = registryEntries(description);
  assert.equal(sensor.kind === "rf" && sensor.type, "wifi");
  assert.equal(frame.frame_id, "esp_csi_link");
  assert.equal(description.payload, "auki_edge.rf.wifi_csi");
});

ptyTest(
  "serial.esp_csi: amplitudes and phases through a pty are the simulated channel's",
  async () => {
    const sim = new EspCsiSim({ noise: 1.5, mac: "a4:cf:12:00:be:ef" });
    const sent: CsiRecord[] = [];
    sim.onRecord = (record) => sent.push(record);
    const { sink, stats } = await runDriver(
      serialEspCsi,
      sim,
      {},
      500,
      ESP_CSI_BAUD,
    );
    assert.equal(sink.events[0]?.kind, "online");
    assert.equal(stats.corrupt, 0);
    assert.ok(sink.samples.length >= 40, `${sink.samples.length} lines`);
    assert.equal(sink.samples.length, sent.length, "every line published");
    sink.samples.forEach(({ payload }, i) => assertFrame(payload, sent[i]));
    const first = fromBinary(WifiCsiFrameSchema, sink.samples[0].payload);
    assert.deepEqual(
      Array.from(first.sourceMac),
      [0xa4, 0xcf, 0x12, 0x00, 0xbe, 0xef],
    );
  },
);

ptyTest(
  "serial.esp_csi: garbled, cut and garbage-led lines are counted and never published",
  async () => {
    const sim = new EspCsiSim({
      faults: { checksum: 0.05, partial: 0.05, garbage: 0.05 },
      seed: 9,
    });
    const sent: { record: CsiRecord; fault: Fault }[] = [];
    sim.onRecord = (record, fault) => sent.push({ record, fault });
    const { sink, stats, lines } = await runDriver(
      serialEspCsi,
      sim,
      {},
      800,
      ESP_CSI_BAUD,
    );
    const intact = sent.filter((s) => s.fault === "none");
    const damaged = sent.length - intact.length;
    assert.ok(damaged >= 5, `${damaged} damaged`);
    assert.ok(sim.injected.garbage >= 3);
    assert.ok(
      Math.abs(stats.corrupt - damaged) <= 2,
      `${stats.corrupt} corrupt counted, ${damaged} damaged`,
    );
    assert.ok(sink.samples.length >= intact.length - 1);
    sink.samples.forEach(({ payload }, i) =>
      assertFrame(payload, intact[i].record)
    );
    assert.ok(
      lines.some((l) => /^WARN corrupt ESP32 CSI packet on .*host/.test(l)),
    );
  },
);
