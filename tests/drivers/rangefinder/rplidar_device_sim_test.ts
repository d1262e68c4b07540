/**
 * The RPLIDAR simulator: idle until SCAN, answers like the device, nodes on
 * the protocol's grid from the scene, and damaged nodes.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  decodeHealth,
  decodeNode,
  encodeDescriptor,
  NodeDecoder,
  request,
  RplidarCommand,
  SCAN_DESCRIPTOR,
} from "../../../drivers/rangefinder/rplidar_protocol.ts";
import {
  roomQualityScene,
  RPLIDAR_SIM_DEFAULTS,
  RplidarSim,
  rplidarSimNode,
} from "../../../drivers/rangefinder/rplidar_device_sim.ts";
import { fromSpacedHex } from "../../helpers/hex.ts";

Deno.test("rplidar sim: silent until asked, answers health and info, scans only after SCAN", () => {
  const sim = new RplidarSim({ health: { status: 1, errorCode: 7 } });
  assert.equal(sim.until(500).length, 0, "idle");
  sim.receive(request(RplidarCommand.GET_HEALTH), 500);
  const health = sim.until(500);
  assert.deepEqual(
    health.subarray(0, 7),
    fromSpacedHex("A5 5A 03 00 00 00 06"),
  );
  assert.deepEqual(decodeHealth(health.subarray(7)), {
    status: 1,
    errorCode: 7,
  });
  sim.receive(request(RplidarCommand.GET_INFO), 500);
  assert.equal(sim.until(500).length, 7 + 20);
  sim.receive(request(RplidarCommand.SCAN), 1000);
  assert.ok(sim.scanning);
  assert.deepEqual(sim.until(1000), encodeDescriptor(SCAN_DESCRIPTOR));
  // 2000 nodes a second: 200 in the 100 ms after the first one's period.
  assert.equal(sim.until(1100).length, 200 * 5);
  sim.receive(request(RplidarCommand.GET_HEALTH), 1100);
  assert.equal(sim.until(1100).length, 0, "no answer while scanning");
  sim.receive(fromSpacedHex("A5"), 1101);
  sim.receive(fromSpacedHex("25"), 1101);
  assert.ok(!sim.scanning, "STOP split across reads");
  assert.equal(sim.until(1200).length, 0);
  assert.deepEqual(sim.commands, [0x52, 0x50, 0x20, 0x52, 0x25]);
  const broken = new RplidarSim({ health: { status: 2, errorCode: 0x12 } });
  broken.receive(request(RplidarCommand.SCAN), 0);
  assert.ok(!broken.scanning, "no scan in a protection stop");
});

Deno.test("rplidar sim: nodes on the 1.8 degree grid with start flags and the room's ranges", () => {
  const first = rplidarSimNode(RPLIDAR_SIM_DEFAULTS, 0);
  assert.deepEqual(first, {
    start: true,
    quality: roomQualityScene(0).quality,
    angleQ6: 0,
    distanceQ2: 3000 * 4,
  });
  const later = rplidarSimNode(RPLIDAR_SIM_DEFAULTS, 250); // 450 -> 90 degrees
  assert.equal(later.angleQ6, 90 * 64);
  assert.equal(later.start, false);
  assert.equal(later.distanceQ2, 0, "the doorway");
  assert.equal(later.quality, 0);
  assert.equal(rplidarSimNode(RPLIDAR_SIM_DEFAULTS, 200).start, true);
  assert.equal(rplidarSimNode(RPLIDAR_SIM_DEFAULTS, 201).start, false);
  const noisy = rplidarSimNode({ ...RPLIDAR_SIM_DEFAULTS, noiseMm: 5 }, 17);
  assert.notEqual(
    noisy.distanceQ2,
    rplidarSimNode(RPLIDAR_SIM_DEFAULTS, 17).distanceQ2,
  );
});

Deno.test("rplidar sim: damaged nodes are counted and skipped by the decoder", () => {
  // Nodes have no checksum: about one garbage burst in 2700 can leave a
  // node with a wrong range (see NodeDecoder); none of this seed's do.
  const sim = new RplidarSim({
    faults: { checksum: 0.01, partial: 0.01, garbage: 0.01 },
    seed: 2,
  });
  let sent = 0;
  sim.onNode = () => sent++;
  sim.receive(request(RplidarCommand.SCAN), 0);
  const bytes = sim.until(10_000).subarray(7);
  const { checksum, partial, garbage } = sim.injected!;
  const faults = checksum + partial + garbage;
  assert.ok(checksum > 150 && partial > 150 && garbage > 150);
  const decoded = new NodeDecoder().push(bytes);
  for (const node of decoded.nodes) {
    const expected = roomQualityScene(node.angleQ6 / 64);
    assert.equal(
      node.distanceQ2,
      expected.distanceMm * 4,
      `at ${node.angleQ6}`,
    );
  }
  // Each fault costs the node and the two before it, which must be followed.
  assert.ok(
    decoded.nodes.length > sent - 3.5 * faults,
    `${decoded.nodes.length} of ${sent}`,
  );
  // Faults within three nodes of each other make one run.
  assert.ok(
    decoded.corrupt <= faults && decoded.corrupt > 0.8 * faults,
    `${decoded.corrupt} runs for ${faults} faults`,
  );
  assert.equal(decodeNode(fromSpacedHex("BD 40 2D 4A 13"), 0), undefined);
});
