/**
 * `serial.esp_csi` against the ESP32 CSI simulator through a real socat pty
 * pair: amplitudes, phases, MAC, RSSI, channel, the fields that map the
 * buffer to subcarriers, noise floor, rate, MCS, the device timestamp and
 * (optionally) the raw buffer equal what the simulator printed, and damaged
 * lines are counted and never published. What every
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
function assertFrame(
  payload: Uint8Array,
  record: CsiRecord,
  rawIq = false,
): void {
  const frame = fromBinary(WifiCsiFrameSchema, payload);
  assert.deepEqual(frame.sourceMac, record.mac);
  const f = record.fields;
  assert.equal(frame.rssiDbm, f.rssi);
  assert.equal(frame.channel, f.channel);
  assert.deepEqual(
    [
      frame.sigMode,
      frame.bandwidth,
      frame.secondaryChannel,
      frame.stbc,
      frame.shortGi,
      frame.noiseFloorDbm,
      frame.rate,
      frame.mcs,
      frame.deviceTimestampUs,
      frame.firstWordInvalid,
    ],
    [
      f.sig_mode,
      f.bandwidth,
      f.secondary_channel,
      f.stbc === 1,
      f.sgi === 1,
      f.noise_floor,
      f.rate,
      f.mcs,
      f.local_timestamp,
      f.first_word === 1,
    ],
  );
  assert.deepEqual(
    frame.rawIq,
    rawIq ? new Uint8Array(record.data.buffer) : new Uint8Array(0),
  );
  const count = record.data.length / 2;
  assert.equal(frame.amplitudes.length, count);
  for (let k = 0; k < count; k++) {
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
    raw_iq: false,
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

ptyTest(
  "serial.esp_csi: an HT40 packet with STBC and short GI, its fields and its raw buffer",
  async () => {
    const sim = new EspCsiSim({
      sigMode: 1,
      secondaryChannel: 2,
      bandwidth: 1,
      stbc: true,
      sgi: true,
      noiseFloorDbm: -88,
      noise: 1,
    });
    const sent: CsiRecord[] = [];
    sim.onRecord = (record) => sent.push(record);
    const { sink } = await runDriver(
      serialEspCsi,
      sim,
      { raw_iq: true },
      400,
      ESP_CSI_BAUD,
    );
    assert.ok(sink.samples.length >= 20, `${sink.samples.length} lines`);
    assert.equal(sink.samples.length, sent.length);
    sink.samples.forEach(({ payload }, i) =>
      assertFrame(payload, sent[i], true)
    );
    const first = fromBinary(WifiCsiFrameSchema, sink.samples[0].payload);
    // Secondary channel below, HT40, STBC: LLTF 0~63, HT-LTF and
    // STBC-HT-LTF 0~60 and -60~-1 each, 612 bytes.
    assert.equal(first.rawIq.length, 612);
    assert.equal(first.amplitudes.length, 306);
    assert.deepEqual(
      [
        first.secondaryChannel,
        first.sigMode,
        first.bandwidth,
        first.stbc,
        first.mcs,
      ],
      [2, 1, 1, true, 7],
    );
    const stamps = sink.samples.map((s) =>
      fromBinary(WifiCsiFrameSchema, s.payload).deviceTimestampUs
    );
    assert.ok(stamps.every((t, i) => i === 0 || t > stamps[i - 1]));
  },
);
