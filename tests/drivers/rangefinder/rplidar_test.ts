/**
 * `serial.rplidar` against the RPLIDAR simulator through a real socat pty
 * pair: the driver's handshake (STOP, GET_HEALTH, GET_INFO, SCAN) and STOP
 * when stopped, scans that reproduce the simulated room, damaged nodes
 * counted and never published, a health error reported, and the handshake
 * starting over after a replug. What every serial driver does alike is
 * `../serial/serial_driver_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { PointCloudDataSchema } from "../../../core/proto/payload_schemas.ts";
import {
  RPLIDAR_BAUD,
  serialRplidar,
} from "../../../drivers/rangefinder/rplidar.ts";
import {
  roomQualityScene,
  RplidarSim,
} from "../../../drivers/rangefinder/rplidar_device_sim.ts";
import { POINT_STEP } from "../../../drivers/rangefinder/lidar2d.ts";
import { SimulatedPort } from "../../../drivers/serial/device_sim_port.ts";
import { configErrors, RecordingSink, registryEntries } from "../fake_sink.ts";
import { scanToPoints } from "../../../drivers/rangefinder/ld06_scan.ts";
import {
  ptyTest,
  runDriver,
  runHotplug,
  type SerialTestDriver,
  withPair,
} from "../../helpers/serial.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { intensityAndRange, scanPoints } from "./_scan_points.ts";
import { until } from "../../helpers/wait.ts";

/** Asserts every point of `payload` is the room's range and quality at its angle. */
function assertRoom(payload: Uint8Array): number {
  const points = scanPoints(payload);
  for (const p of points) {
    const expected = roomQualityScene(Math.round(p.angleDeg * 64) / 64);
    assert.ok(expected.distanceMm > 0, `a point at ${p.angleDeg} (doorway)`);
    assert.ok(
      Math.abs(p.distanceMm - expected.distanceMm) < 1e-3 * p.distanceMm,
      `range at ${p.angleDeg}: ${p.distanceMm} vs ${expected.distanceMm}`,
    );
    assert.equal(p.intensity, expected.quality);
  }
  return points.length;
}

Deno.test("serial.rplidar: configuration defaults and the sensor", () => {
  const config = serialRplidar.config.parse({ port: "/dev/ttyUSB0" });
  assert.deepEqual(config, {
    port: "/dev/ttyUSB0",
    baud: 115200,
    id: "rplidar",
    rate_hz: 10,
    orientation: "device",
  });
  const { sensor, frame } = registryEntries(
    serialRplidar.create({ ...config, baud: 256000 }).description,
  );
  assert.equal(sensor.kind === "rangefinder" && sensor.type, "2d_lidar");
  assert.equal(frame.frame_id, "rplidar_link");
  assert.deepEqual(
    intensityAndRange(sensor),
    ["rplidar_quality", 0, 63, 0.15, 12, "clockwise"],
  );
  assert.match(
    configErrors(serialRplidar, { port: "/dev/a", orientation: "upside" }),
    /orientation/,
  );
});

Deno.test("serial.rplidar: orientation rplidar_ros is Slamtec's ROS frame, the device's turned half a turn", () => {
  // rplidar_ros publishes a node at device angle a as the LaserScan angle
  // π - a (counter-clockwise from its laser_frame x axis).
  const scan = {
    timestampNs: 0n,
    durationNs: 100_000_000n,
    points: [
      { angleDeg: 0, distanceMm: 1000, intensity: 10 },
      { angleDeg: 90, distanceMm: 2000, intensity: 20 },
      { angleDeg: 200, distanceMm: 1500, intensity: 30 },
    ],
  };
  const ros = scanToPoints(scan, "rplidar_ros");
  scan.points.forEach(({ angleDeg, distanceMm, intensity }, i) => {
    const rosAngle = Math.PI - angleDeg * Math.PI / 180;
    const d = distanceMm / 1000;
    assert.ok(Math.abs(ros[i].x - d * Math.cos(rosAngle)) < 1e-9);
    assert.ok(Math.abs(ros[i].y - d * Math.sin(rosAngle)) < 1e-9);
    assert.equal(ros[i].intensity, intensity);
  });
  const device = scanToPoints(scan);
  assert.ok(Math.abs(device[1].y - -2) < 1e-9, "device: 90° is to the right");
  assert.ok(Math.abs(ros[1].y - 2) < 1e-9, "rplidar_ros: 90° is to the left");
});

ptyTest(
  "serial.rplidar: the handshake, scans that reproduce the room, and STOP when stopped",
  async () => {
    await withPair(async (pair) => {
      const lines: string[] = [];
      const driver = serialRplidar.create(
        serialRplidar.config.parse({ port: pair.host }),
      ) as SerialTestDriver;
      const sink = new RecordingSink();
      const sim = new RplidarSim();
      const port = new SimulatedPort({
        path: pair.device,
        baudRate: RPLIDAR_BAUD,
        source: sim,
        peer: pair.host,
      });
      port.start();
      await driver.start(sink, {
        now: () => BigInt(Date.now()) * 1_000_000n,
        logger: new MemoryLogger(lines),
      });
      try {
        await until(() => sink.samples.length >= 4, "four scans");
        assert.deepEqual(sim.commands, [0x25, 0x52, 0x50, 0x20]);
        assert.ok(sim.scanning);
        await driver.stop();
        await until(() => !sim.scanning, "STOP after the driver stopped");
        assert.equal(sim.commands.at(-1), 0x25);
      } finally {
        await driver.stop();
        await port.stop();
      }
      assert.equal(sink.events[0]?.kind, "online");
      for (const { payload } of sink.samples) {
        // 200 nodes a turn (1.8 degrees apart), less the 8 looking out of
        // the doorway (81 to 93.6 degrees).
        assert.equal(assertRoom(payload), 192);
      }
      const times = sink.samples.map((s) => s.timestampNs);
      for (let i = 1; i < times.length; i++) {
        const gapMs = Number(times[i] - times[i - 1]) / 1e6;
        assert.ok(Math.abs(gapMs - 100) < 40, `scan gap ${gapMs} ms`);
        const { scanDurationNs } = fromBinary(
          PointCloudDataSchema,
          sink.samples[i - 1].payload,
        );
        assert.equal(
          scanDurationNs,
          times[i] - times[i - 1],
          "a revolution lasts until the next one starts",
        );
      }
      assert.ok(
        lines.includes(
          "INFO RPLIDAR model 0x28, firmware 1.29, hardware 5, serial 00112233445566778899AABBCCDDEEFF",
        ),
        lines.join("\n"),
      );
      assert.ok(
        lines.some((l) =>
          l.startsWith(
            "DEBUG cannot clear DTR (the A1/A2 adapters' motor enable)",
          )
        ),
        "a pty has no modem lines",
      );
    });
  },
);

ptyTest(
  "serial.rplidar: damaged nodes are counted and never published",
  async () => {
    const sim = new RplidarSim({
      faults: { checksum: 0.01, partial: 0.01, garbage: 0.01 },
      seed: 2,
    });
    let faults = 0;
    sim.onNode = (_, fault) => {
      if (fault !== "none") faults++;
    };
    const { sink, stats, lines } = await runDriver(
      serialRplidar,
      sim,
      {},
      1_500,
      RPLIDAR_BAUD,
    );
    const { garbage } = sim.injected ?? { garbage: 0 };
    assert.ok(faults + garbage >= 30, `${faults + garbage} faults`);
    assert.ok(
      stats.corrupt <= faults + garbage + 1 &&
        stats.corrupt >= 0.8 * (faults + garbage),
      `${stats.corrupt} corrupt counted, ${faults + garbage} injected`,
    );
    assert.ok(sink.samples.length >= 10);
    for (const { payload } of sink.samples) assertRoom(payload);
    assert.ok(
      lines.some((l) => /^WARN corrupt RPLIDAR packet on .*host/.test(l)),
    );
  },
);

ptyTest(
  "serial.rplidar: a health error is reported with its code, a warning is logged and scanned past",
  async () => {
    const [error, warning] = await Promise.all([
      runDriver(
        serialRplidar,
        new RplidarSim({ health: { status: 2, errorCode: 0x8012 } }),
        {},
        2_400,
        RPLIDAR_BAUD,
      ),
      runDriver(
        serialRplidar,
        new RplidarSim({ health: { status: 1, errorCode: 3 } }),
        {},
        600,
        RPLIDAR_BAUD,
      ),
    ]);
    assert.equal(error.sink.samples.length, 0);
    assert.deepEqual(error.sink.events.find((e) => e.kind === "offline"), {
      kind: "offline",
      reason: "producer_error",
      detail:
        `RPLIDAR on ${error.host}: reports health error, error code 0x8012 (it stopped itself); sent RESET, trying again in 2 s (no valid packet for 2 s)`,
    });
    assert.ok(error.stats.faults >= 1);
    assert.ok(warning.sink.samples.length >= 3);
    assert.ok(
      warning.lines.some((l) =>
        l.startsWith(
          `WARN RPLIDAR on ${warning.host}: reports health warning, error code 0x0003`,
        )
      ),
      warning.lines.join("\n"),
    );
  },
);

ptyTest(
  "serial.rplidar: replugged, the handshake starts over with STOP and scans the room again",
  async () => {
    const sim = new RplidarSim();
    const run = await runHotplug(serialRplidar, sim, {}, RPLIDAR_BAUD);
    assert.equal(sim.commands.filter((c) => c === 0x20).length, 2);
    for (const { payload } of run.sink.samples) assertRoom(payload);
  },
);

ptyTest(
  "serial.rplidar: orientation rplidar_ros through a pty, the room turned half a turn",
  async () => {
    const { sink } = await runDriver(
      serialRplidar,
      new RplidarSim(),
      { orientation: "rplidar_ros" },
      700,
      RPLIDAR_BAUD,
    );
    assert.ok(sink.samples.length >= 3, `${sink.samples.length} scans`);
    for (const { payload } of sink.samples) {
      const { data } = fromBinary(PointCloudDataSchema, payload);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (let at = 0; at < data.byteLength; at += POINT_STEP) {
        // The ROS driver's angle is π - a: a = π - atan2(y, x).
        const x = view.getFloat32(at, true);
        const y = view.getFloat32(at + 4, true);
        const a = ((180 - Math.atan2(y, x) * 180 / Math.PI) + 360) % 360;
        const expected = roomQualityScene(Math.round(a * 64) / 64);
        const d = Math.hypot(x, y) * 1000;
        assert.ok(
          Math.abs(d - expected.distanceMm) < 1e-3 * d,
          `range at device angle ${a}: ${d} vs ${expected.distanceMm}`,
        );
      }
    }
  },
);
