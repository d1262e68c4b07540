/**
 * `serial.tfmini` against the TFmini simulator through a real socat pty
 * pair: every frame is published as one point equal to what the simulator
 * sent, weak readings and every TFmini-S error code as NaN, corrupt frames
 * counted and never published.
 * What every serial driver does alike is `../serial/serial_driver_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { PointCloudDataSchema } from "../../../core/proto/payload_schemas.ts";
import { POINT_STEP } from "../../../drivers/rangefinder/lidar2d.ts";
import {
  serialTfmini,
  TFMINI_BAUD,
  tfminiPoint,
} from "../../../drivers/rangefinder/tfmini.ts";
import {
  tfminiErrorCode,
  type TfminiFrame,
} from "../../../drivers/rangefinder/tfmini_protocol.ts";
import { tfminiSource } from "../../../drivers/rangefinder/tfmini_device_sim.ts";
import type { Fault } from "../../../drivers/serial/packet_source.ts";
import { registryEntries } from "../fake_sink.ts";
import { intensityAndRange } from "./_scan_points.ts";
import { ptyTest, runDriver } from "../../helpers/serial.ts";

/** The single point of a published payload. */
function onePoint(payload: Uint8Array) {
  const { data } = fromBinary(PointCloudDataSchema, payload);
  assert.equal(data.byteLength, POINT_STEP, "one point per sample");
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    x: view.getFloat32(0, true),
    y: view.getFloat32(4, true),
    z: view.getFloat32(8, true),
    intensity: view.getFloat32(12, true),
  };
}

Deno.test("serial.tfmini: configuration defaults and the published point", () => {
  const config = serialTfmini.config.parse({ port_id: "10c4:ea60:0001" });
  assert.deepEqual(config, {
    port_id: "10c4:ea60:0001",
    baud: 115200,
    id: "tfmini",
    rate_hz: 100,
  });
  const { sensor } = registryEntries(serialTfmini.create(config).description);
  assert.equal(sensor.kind === "rangefinder" && sensor.type, "1d_lidar");
  assert.equal(sensor.kind === "rangefinder" && sensor.frame_rate_hz, 100);
  assert.deepEqual(
    intensityAndRange(sensor),
    ["tfmini_signal_strength", 0, 65535, 0.1, 12, undefined],
  );
  assert.deepEqual(
    tfminiPoint({ distanceCm: 123, strength: 900, temperatureRaw: 2328 }),
    { x: 1.23, y: 0, z: 0, intensity: 900 },
  );
  const weak = tfminiPoint({
    distanceCm: 0xffff,
    strength: 40,
    temperatureRaw: 0,
  });
  assert.ok(
    Number.isNaN(weak.x) && Number.isNaN(weak.y) && Number.isNaN(weak.z),
  );
  assert.equal(weak.intensity, 40);
});

ptyTest(
  "serial.tfmini: frames through a pty equal what the simulator sent, every error code as NaN",
  async () => {
    const source = tfminiSource({
      rateHz: 200,
      abnormalEvery: 10,
      faults: { checksum: 0.05, partial: 0.05, garbage: 0.05 },
      seed: 3,
    });
    const sent: { frame: TfminiFrame; fault: Fault }[] = [];
    source.onPacket = (frame, fault) => sent.push({ frame, fault });
    const { sink, stats } = await runDriver(
      serialTfmini,
      source,
      {},
      500,
      TFMINI_BAUD,
    );
    const intact = sent.filter((s) => s.fault === "none").map((s) => s.frame);
    const injected = sent.length - intact.length;
    assert.ok(injected >= 5, `${injected} faults injected`);
    assert.ok(
      stats.corrupt >= injected && stats.corrupt <= injected + 3,
      `${stats.corrupt} corrupt counted, ${injected} injected`,
    );
    assert.equal(sink.events[0]?.kind, "online");
    assert.equal(
      sink.samples.length,
      intact.length,
      "every intact frame, no other",
    );
    const codes = new Set<number>();
    sink.samples.forEach(({ payload }, i) => {
      const point = onePoint(payload);
      const frame = intact[i];
      assert.equal(point.intensity, frame.strength, `strength of frame ${i}`);
      const code = tfminiErrorCode(frame);
      if (code !== undefined) {
        codes.add(code);
        assert.ok(
          Number.isNaN(point.x) && Number.isNaN(point.y) &&
            Number.isNaN(point.z),
          `frame ${i} with error code ${code} is NaN`,
        );
      } else {
        assert.equal(
          point.x,
          Math.fround(frame.distanceCm / 100),
          `frame ${i}`,
        );
        assert.equal(point.y, 0);
      }
    });
    assert.deepEqual([...codes].sort(), [-1, -2, -4], "the manual's codes");
  },
);
