/**
 * The LD06 simulator: the room's ranges, packets on the protocol's angle
 * grid, pacing, and injected faults.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Ld06Decoder,
  pointAngleDeg,
} from "../../../drivers/rangefinder/ld06_protocol.ts";
import {
  LD06_SIM_DEFAULTS,
  ld06SimPacket,
  ld06Source,
  roomScene,
} from "../../../drivers/rangefinder/ld06_device_sim.ts";

Deno.test("ld06 sim: the room's walls at the four headings", () => {
  assert.deepEqual(roomScene(0), { distanceMm: 3000, intensity: 250 });
  assert.deepEqual(roomScene(180), { distanceMm: 2000, intensity: 250 });
  assert.deepEqual(roomScene(270), { distanceMm: 1500, intensity: 250 });
  assert.deepEqual(roomScene(85), { distanceMm: 0, intensity: 0 }, "doorway");
  // 45 degrees to the right: the right wall (2.5 m away, at 2.5 / sin 45)
  // is nearer than the front one (3 / cos 45).
  assert.equal(roomScene(45).distanceMm, Math.round(2500 * Math.SQRT2));
  // 135: the back wall (2 m, at 2 / cos 45) is nearer than the right one.
  assert.equal(roomScene(135).distanceMm, Math.round(2000 * Math.SQRT2));
});

Deno.test("ld06 sim: packets on the 0.8 degree grid at 10 Hz, ranges from the scene", () => {
  const first = ld06SimPacket(LD06_SIM_DEFAULTS, 0);
  assert.equal(first.speedDegPerS, 3600);
  assert.equal(first.startAngle, 0);
  assert.equal(first.endAngle, 880);
  assert.equal(first.timestampMs, 0);
  // Packet 40 starts at point 480: 480 * 0.8 = 384 -> 24 degrees, 106 ms.
  const later = ld06SimPacket(LD06_SIM_DEFAULTS, 40);
  assert.equal(later.startAngle, 2400);
  assert.equal(later.timestampMs, 106);
  later.points.forEach((p, i) =>
    assert.deepEqual(p, roomScene(pointAngleDeg(later, i)), `point ${i}`)
  );
  const noisy = ld06SimPacket({ ...LD06_SIM_DEFAULTS, noiseMm: 20 }, 40);
  assert.ok(
    noisy.points.some((p, i) => p.distanceMm !== later.points[i].distanceMm),
  );
  assert.deepEqual(
    noisy,
    ld06SimPacket({ ...LD06_SIM_DEFAULTS, noiseMm: 20 }, 40),
    "seeded",
  );
});

Deno.test("ld06 sim: 375 packets a second, faults counted and decodable around", () => {
  const clean = ld06Source();
  assert.equal(clean.until(0).length, 47, "packet 0 at time 0");
  assert.equal(
    clean.until(1000).length,
    375 * 47,
    "the rest of the first second",
  );
  const faulty = ld06Source({
    faults: { checksum: 0.1, partial: 0.1, garbage: 0.1 },
    seed: 5,
  });
  const bytes = faulty.until(999);
  const { checksum, partial, garbage } = faulty.injected;
  assert.ok(
    checksum > 20 && partial > 20 && garbage > 20,
    JSON.stringify(faulty.injected),
  );
  const decoded = new Ld06Decoder().push(bytes);
  assert.equal(decoded.packets.length, 375 - checksum - partial);
  assert.ok(decoded.corrupt >= checksum + partial);
});
