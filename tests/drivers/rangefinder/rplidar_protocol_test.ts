/**
 * The RPLIDAR codec against hand-computed requests, descriptors, answers
 * and nodes; the node stream decoder over garbage, cut and broken nodes;
 * and revolutions assembled on the start flag.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  angleStep,
  decodeHealth,
  decodeInfo,
  decodeNode,
  encodeDescriptor,
  encodeHealth,
  encodeInfo,
  encodeNode,
  HEALTH_DESCRIPTOR,
  INFO_DESCRIPTOR,
  NodeDecoder,
  request,
  RplidarCommand,
  type RplidarNode,
  SCAN_DESCRIPTOR,
} from "../../../drivers/rangefinder/rplidar_protocol.ts";
import type { Scan } from "../../../drivers/rangefinder/ld06_scan.ts";
import { RevolutionAssembler } from "../../../drivers/rangefinder/rplidar_scan.ts";
import { fromSpacedHex } from "../../helpers/hex.ts";

// Start flag, quality 47 (0x2F): 0x2F << 2 | !S << 1 | S = 0xBD. Angle
// 90.5 degrees = 5792/64 (0x16A0): (0x20 << 1) | C = 0x41, then 0x16A0 >> 7
// = 0x2D. Distance 1234.5 mm = 4938 quarter-mm (0x134A).
const NODE = fromSpacedHex("BD 41 2D 4A 13");
const DECODED: RplidarNode = {
  start: true,
  quality: 47,
  angleQ6: 5792,
  distanceQ2: 4938,
};

/** A node at `degrees`, `mm` away, not a start. */
function node(degrees: number, mm = 1000, start = false): RplidarNode {
  return {
    start,
    quality: 30,
    angleQ6: Math.round(degrees * 64),
    distanceQ2: mm * 4,
  };
}

Deno.test("rplidar: requests and response descriptors", () => {
  assert.deepEqual(request(RplidarCommand.STOP), fromSpacedHex("A5 25"));
  assert.deepEqual(request(RplidarCommand.RESET), fromSpacedHex("A5 40"));
  assert.deepEqual(request(RplidarCommand.SCAN), fromSpacedHex("A5 20"));
  assert.deepEqual(request(RplidarCommand.GET_INFO), fromSpacedHex("A5 50"));
  assert.deepEqual(request(RplidarCommand.GET_HEALTH), fromSpacedHex("A5 52"));
  // Length in the low 30 bits, send mode in the top 2 (1 for SCAN).
  assert.deepEqual(
    encodeDescriptor(SCAN_DESCRIPTOR),
    fromSpacedHex("A5 5A 05 00 00 40 81"),
  );
  assert.deepEqual(
    encodeDescriptor(INFO_DESCRIPTOR),
    fromSpacedHex("A5 5A 14 00 00 00 04"),
  );
  assert.deepEqual(
    encodeDescriptor(HEALTH_DESCRIPTOR),
    fromSpacedHex("A5 5A 03 00 00 00 06"),
  );
});

Deno.test("rplidar: device info and health answers", () => {
  const info = {
    model: 0x18,
    firmwareMinor: 29,
    firmwareMajor: 1,
    hardware: 7,
    serial: fromSpacedHex("00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF"),
  };
  const bytes = fromSpacedHex(
    "18 1D 01 07 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF",
  );
  assert.deepEqual(encodeInfo(info), bytes);
  assert.deepEqual(decodeInfo(bytes), info);
  assert.deepEqual(
    encodeHealth({ status: 2, errorCode: 0x1234 }),
    fromSpacedHex("02 34 12"),
  );
  assert.deepEqual(decodeHealth(fromSpacedHex("01 05 00")), {
    status: 1,
    errorCode: 5,
  });
});

Deno.test("rplidar: a hand-computed measurement node and its checks", () => {
  assert.deepEqual(encodeNode(DECODED), NODE);
  assert.deepEqual(decodeNode(NODE, 0), DECODED);
  assert.deepEqual(
    encodeNode({ ...DECODED, start: false, quality: 10 }).subarray(0, 1),
    fromSpacedHex("2A"),
    "10 << 2 | !S << 1",
  );
  const sameFlags = NODE.slice();
  sameFlags[0] |= 0x02; // S and its inverse both set
  assert.equal(decodeNode(sameFlags, 0), undefined);
  const noCheck = NODE.slice();
  noCheck[1] &= 0xfe;
  assert.equal(decodeNode(noCheck, 0), undefined);
  assert.equal(
    decodeNode(fromSpacedHex("BD 01 B4 00 00"), 0),
    undefined,
    "360 degrees",
  );
  assert.equal(angleStep(node(359.5), node(0.5)), 64, "across the turn");
  assert.equal(angleStep(node(10), node(9.5)), -32, "back");
});

Deno.test("rplidar: the node decoder skips garbage, cut and broken nodes", () => {
  const nodes = Array.from({ length: 12 }, (_, i) => node(i * 1.8, 1000 + i));
  const bytes = nodes.map(encodeNode);
  const broken = bytes[7].slice();
  broken[1] &= 0xfe;
  const stream = Uint8Array.from([
    ...fromSpacedHex("13 A5 77"), // garbage
    ...bytes[0],
    ...bytes[1],
    ...bytes[2],
    ...bytes[3].subarray(0, 2), // cut
    ...bytes[4],
    ...bytes[5],
    ...bytes[6],
    ...broken,
    ...bytes[8],
    ...bytes[9],
    ...bytes[10],
    ...bytes[11],
  ]);
  for (const chunk of [stream.length, 1, 7]) {
    const decoder = new NodeDecoder();
    const got: number[] = [];
    let corrupt = 0;
    for (let at = 0; at < stream.length; at += chunk) {
      const out = decoder.push(stream.subarray(at, at + chunk));
      got.push(...out.nodes.map((n) => n.distanceQ2 / 4 - 1000));
      corrupt += out.corrupt;
    }
    // A node needs two good successors, so the two before a break go too;
    // the last two wait for theirs.
    assert.deepEqual(got, [0, 4, 8, 9], `chunks of ${chunk}`);
    assert.equal(corrupt, 3, `chunks of ${chunk}: garbage, cut, broken`);
  }
});

Deno.test("rplidar: the node decoder learns the step, and forgets it after a long break", () => {
  const decoder = new NodeDecoder();
  const run = (from: number, step: number, count: number) =>
    Uint8Array.from(
      Array.from({ length: count }, (_, i) => [
        ...encodeNode(node(from + i * step)),
      ]).flat(),
    );
  const angles = (bytes: Uint8Array) =>
    decoder.push(bytes).nodes.map((n) => n.angleQ6 / 64);
  // Learned 1.8 degrees: 40.5 in place of 39.6 is 2.7 on (more than 1.25
  // steps) and 0.9 short of the next (less than 0.75), so it is dropped
  // with the two before it, which it would have to follow.
  const first = angles(run(0, 1.8, 20));
  assert.equal(first.length, 18, "the last two wait for successors");
  const q6 = (degrees: number) => Math.round(degrees * 64) / 64;
  const skewed = angles(
    Uint8Array.from([
      ...run(36, 1.8, 2),
      ...encodeNode(node(40.5)),
      ...run(41.4, 1.8, 5),
    ]),
  );
  assert.deepEqual(skewed, [32.4, 34.2, 41.4, 43.2, 45].map(q6));
  // 120 bytes of nothing, then twice the speed: relearned.
  const faster = angles(
    Uint8Array.from([...new Uint8Array(120), ...run(100, 3.6, 10)]),
  );
  assert.equal(faster.length, 8);
  assert.equal(faster[0], 100);
});

Deno.test("rplidar: revolutions start at the start flag", () => {
  const assembler = new RevolutionAssembler();
  const scans: Scan[] = [];
  let ns = 0n;
  const feed = (n: RplidarNode) => {
    const scan = assembler.push(n, ns++);
    if (scan !== undefined) scans.push(scan);
  };
  for (let a = 300; a < 360; a += 10) feed(node(a)); // before a start: dropped
  for (let turn = 0; turn < 2; turn++) {
    for (let a = 0; a < 360; a += 10) {
      feed(node(a + 0.5, a === 90 ? 0 : 1500, a === 0));
    }
  }
  feed(node(0.5, 1500, true));
  assert.equal(scans.length, 2);
  assert.equal(scans[0].timestampNs, 6n, "when its start node arrived");
  assert.equal(scans[0].points.length, 35, "no-return node dropped");
  assert.deepEqual(scans[0].points[0], {
    angleDeg: 0.5,
    distanceMm: 1500,
    intensity: 30,
  });
  // A lost start node: the turn closes past 365 degrees.
  for (let a = 10; a < 360; a += 10) feed(node(a + 0.5));
  for (let a = 0; a <= 20; a += 10) feed(node(a + 0.5));
  assert.equal(scans.length, 3);
  assert.equal(scans[2].points.length, 37);
});
