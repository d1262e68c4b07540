/**
 * `serial.ld06` against the LD06 simulator through a real socat pty pair:
 * published scans reproduce the simulated room exactly, corruption is
 * counted and never published, and the partial turns at an unplug are not
 * published. What every serial driver does alike (configuration mistakes,
 * hot-plug, a wrong baud rate or device) is `../serial/serial_driver_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { PointCloudDataSchema } from "../../../core/proto/payload_schemas.ts";
import { LD06_BAUD, serialLd06 } from "../../../drivers/rangefinder/ld06.ts";
import type { Ld06Packet } from "../../../drivers/rangefinder/ld06_protocol.ts";
import {
  ld06Source,
  roomScene,
} from "../../../drivers/rangefinder/ld06_device_sim.ts";
import { registryEntries } from "../fake_sink.ts";
import { intensityAndRange, scanPoints } from "./_scan_points.ts";
import { ptyTest, runDriver, runHotplug } from "../../helpers/serial.ts";

Deno.test("serial.ld06: configuration defaults and the sensor", () => {
  const config = serialLd06.config.parse({ port: "/dev/ttyUSB0" });
  assert.deepEqual(config, {
    port: "/dev/ttyUSB0",
    baud: 230400,
    id: "ld06",
    rate_hz: 10,
  });
  const { sensor, frame } = registryEntries(
    serialLd06.create(config).description,
  );
  assert.equal(sensor.kind, "rangefinder");
  assert.equal(sensor.kind === "rangefinder" && sensor.type, "2d_lidar");
  assert.equal(frame.frame_id, "ld06_link");
  assert.deepEqual(
    intensityAndRange(sensor),
    ["ld06_intensity", 0, 255, 0.02, 12, "clockwise"],
  );
});

ptyTest(
  "serial.ld06: scans through a pty reproduce the simulated room",
  async () => {
    const source = ld06Source();
    const sent: Ld06Packet[] = [];
    source.onPacket = (packet) => sent.push(packet);
    const { sink, stats, lines } = await runDriver(
      serialLd06,
      source,
      {},
      550,
      LD06_BAUD,
    );
    assert.deepEqual(sink.events[0], { kind: "online" });
    assert.ok(
      sink.samples.length >= 3 && sink.samples.length <= 6,
      `${sink.samples.length} scans in 550 ms at 10 Hz`,
    );
    assert.equal(stats.corrupt, 0);
    assert.equal(stats.valid, sent.length, "every packet sent was decoded");
    for (const { payload } of sink.samples) {
      const points = scanPoints(payload);
      // 450 measurements a turn (every 0.8 degrees), less the 19 looking
      // out of the doorway (80 to 94.4 degrees).
      assert.equal(points.length, 431);
      for (const p of points) {
        const expected = roomScene(Math.round(p.angleDeg * 100) / 100);
        assert.ok(
          expected.distanceMm > 0,
          `a point at ${p.angleDeg} (doorway)`,
        );
        assert.ok(
          Math.abs(p.distanceMm - expected.distanceMm) < 1e-3 * p.distanceMm,
          `range at ${p.angleDeg}: ${p.distanceMm} vs ${expected.distanceMm}`,
        );
        assert.equal(p.intensity, expected.intensity);
      }
    }
    const times = sink.samples.map((s) => s.timestampNs);
    for (let i = 1; i < times.length; i++) {
      const gapMs = Number(times[i] - times[i - 1]) / 1e6;
      assert.ok(Math.abs(gapMs - 100) < 40, `scan gap ${gapMs} ms`);
    }
    for (const { payload } of sink.samples) {
      // The device clock: a turn at 10 Hz takes 100 ms (ms resolution).
      const { scanDurationNs } = fromBinary(PointCloudDataSchema, payload);
      const ms = Number(scanDurationNs) / 1e6;
      assert.ok(Math.abs(ms - 100) <= 2, `revolution ${ms} ms`);
    }
    assert.ok(lines.some((l) => /^INFO opened .*host at 230400 baud$/.test(l)));
  },
);

ptyTest(
  "serial.ld06: corrupt, cut and garbage-led packets are counted and never published",
  async () => {
    const source = ld06Source({
      faults: { checksum: 0.05, partial: 0.05, garbage: 0.05 },
      seed: 7,
    });
    const { sink, stats, lines } = await runDriver(
      serialLd06,
      source,
      {},
      550,
      LD06_BAUD,
    );
    const injected = source.injected.checksum + source.injected.partial;
    assert.ok(injected >= 10, `${injected} faults injected`);
    assert.ok(source.injected.garbage >= 5);
    assert.ok(
      stats.corrupt >= injected && stats.corrupt <= injected + 3,
      `${stats.corrupt} corrupt counted, ${injected} injected`,
    );
    assert.ok(sink.samples.length >= 3);
    for (const { payload } of sink.samples) {
      for (const p of scanPoints(payload)) {
        const expected = roomScene(Math.round(p.angleDeg * 100) / 100);
        assert.ok(
          Math.abs(p.distanceMm - expected.distanceMm) < 1e-3 * p.distanceMm,
          `range at ${p.angleDeg}`,
        );
      }
    }
    assert.ok(
      lines.some((l) => /^WARN corrupt LD06 packet on .*host/.test(l)),
      lines.join("\n"),
    );
  },
);

ptyTest(
  "serial.ld06: the partial turns at an unplug and a replug are not published",
  async () => {
    const run = await runHotplug(serialLd06, ld06Source(), {}, LD06_BAUD);
    for (const { payload } of run.sink.samples) {
      assert.equal(scanPoints(payload).length, 431);
    }
  },
);
