/**
 * Revolutions from LD06 packets: split at the angle wrap, the first partial
 * turn dropped, timestamps from the device clock, points in ros_body.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Ld06Packet } from "../../../drivers/rangefinder/ld06_protocol.ts";
import {
  ScanAssembler,
  scanToPoints,
} from "../../../drivers/rangefinder/ld06_scan.ts";

/** A packet of 12 points 10 degrees apart starting at `start` degrees, all at `mm`. */
function packet(start: number, timestampMs: number, mm = 1000): Ld06Packet {
  return {
    speedDegPerS: 3600,
    startAngle: (start * 100) % 36000,
    endAngle: ((start + 110) * 100) % 36000,
    timestampMs,
    points: Array.from(
      { length: 12 },
      () => ({ distanceMm: mm, intensity: 200 }),
    ),
  };
}

const MS = 1_000_000n;

Deno.test("ld06 scans: one scan per turn, split at the wrap, first turn dropped", () => {
  const scans = new ScanAssembler();
  // A partial turn: 240..350 degrees.
  assert.deepEqual(scans.push(packet(240, 100), 1000n * MS), []);
  // A full turn: 0..350, three packets; the third packet's points 0..110
  // would wrap only at the next packet.
  assert.deepEqual(scans.push(packet(0, 131), 1031n * MS), []);
  assert.deepEqual(scans.push(packet(120, 164), 1064n * MS), []);
  assert.deepEqual(scans.push(packet(240, 197), 1097n * MS), []);
  const [scan, ...more] = scans.push(packet(0, 230), 1130n * MS);
  assert.equal(more.length, 0);
  assert.deepEqual(
    scan.points.map((p) => p.angleDeg),
    Array.from({ length: 36 }, (_, i) => 10 * i),
  );
  // Its first packet (device time 131 ms) left 99 ms before the wrap
  // packet (230 ms), which arrived at 1130 ms: 1031 ms, when it arrived.
  assert.equal(scan.timestampNs, 1031n * MS);
});

Deno.test("ld06 scans: device timestamps wrap at 30000 ms", () => {
  const scans = new ScanAssembler();
  scans.push(packet(240, 29_900), 5000n * MS);
  scans.push(packet(0, 29_950), 5050n * MS);
  scans.push(packet(120, 29_990), 5090n * MS);
  scans.push(packet(240, 20), 5120n * MS);
  const [scan] = scans.push(packet(0, 60), 5160n * MS);
  // From 29950 to 60 (wrapped) is 110 ms.
  assert.equal(scan.timestampNs, 5050n * MS);
});

Deno.test("ld06 scans: no-return points dropped, clockwise angles turned into ros_body", () => {
  const scans = new ScanAssembler();
  scans.push(packet(240, 0), 0n);
  const withGaps = packet(0, 10, 2000);
  withGaps.points[1].distanceMm = 0; // 10 degrees: no return
  scans.push(withGaps, 0n);
  scans.push(packet(120, 20, 2000), 0n);
  scans.push(packet(240, 30, 2000), 0n);
  const [scan] = scans.push(packet(0, 40), 0n);
  assert.equal(scan.points.length, 35);
  assert.ok(!scan.points.some((p) => p.angleDeg === 10));
  const points = scanToPoints(scan);
  const at = (deg: number) =>
    points[scan.points.findIndex((p) => p.angleDeg === deg)];
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  // 0 degrees: ahead; 90 degrees clockwise: to the right (-y); 270: left.
  assert.ok(near(at(0).x, 2) && near(at(0).y, 0));
  assert.ok(near(at(90).x, 0) && near(at(90).y, -2));
  assert.ok(near(at(270).x, 0) && near(at(270).y, 2));
  assert.ok(near(at(180).x, -2));
  assert.equal(at(0).z, 0);
  assert.equal(at(0).intensity, 200);
});

Deno.test("ld06 scans: reset drops the partial turn again", () => {
  const scans = new ScanAssembler();
  scans.push(packet(240, 0), 0n);
  scans.push(packet(0, 10), 0n);
  scans.reset();
  scans.push(packet(120, 20), 0n);
  scans.push(packet(240, 30), 0n);
  assert.deepEqual(
    scans.push(packet(0, 40), 0n),
    [],
    "the turn after reset was partial",
  );
});
