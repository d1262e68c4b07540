/**
 * The LD06 packet codec and stream decoder against the example packet of
 * the LDROBOT development manual and hand-built streams.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  decodeLd06Packet,
  encodeLd06Packet,
  LD06_CRC_TABLE,
  ld06Crc,
  Ld06Decoder,
  type Ld06Packet,
  pointAngleDeg,
} from "../../../drivers/rangefinder/ld06_protocol.ts";
import { seededRandom } from "../../../drivers/sim/random.ts";
import { fromSpacedHex } from "../../helpers/hex.ts";

/** The example packet printed in the LD06 development manual. */
const MANUAL_PACKET = fromSpacedHex(
  "54 2C 68 08 AB 7E E0 00 E4 DC 00 E2 D9 00 E5 D5 00 E3 D3 00 E4 D0 00 E9" +
    " CD 00 E4 CA 00 E2 C7 00 E9 C5 00 E5 C2 00 E5 C0 00 E5 BE 82 3A 1A 50",
);

const MANUAL_DECODED: Ld06Packet = {
  speedDegPerS: 0x0868, // 2152 degrees/s: 5.98 turns/s
  startAngle: 0x7eab, // 324.27 degrees
  endAngle: 0x82be, // 334.70 degrees
  timestampMs: 0x1a3a, // 6714 ms
  points: [
    [0xe0, 0xe4],
    [0xdc, 0xe2],
    [0xd9, 0xe5],
    [0xd5, 0xe3],
    [0xd3, 0xe4],
    [0xd0, 0xe9],
    [0xcd, 0xe4],
    [0xca, 0xe2],
    [0xc7, 0xe9],
    [0xc5, 0xe5],
    [0xc2, 0xe5],
    [0xc0, 0xe5],
  ].map(([distanceMm, intensity]) => ({ distanceMm, intensity })),
};

Deno.test("ld06: the CRC table is CRC-8 with polynomial 0x4D", () => {
  assert.equal(LD06_CRC_TABLE.length, 256);
  LD06_CRC_TABLE.forEach((value, i) => {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80 ? ((crc << 1) ^ 0x4d) & 0xff : (crc << 1) & 0xff;
    }
    assert.equal(value, crc, `entry ${i}`);
  });
  assert.deepEqual(
    [...LD06_CRC_TABLE.subarray(0, 8)],
    [0x00, 0x4d, 0x9a, 0xd7, 0x79, 0x34, 0xe3, 0xae],
  );
  // Further entries as printed in the LDROBOT manual.
  assert.deepEqual(
    [LD06_CRC_TABLE[16], LD06_CRC_TABLE[128], LD06_CRC_TABLE[255]],
    [0xa9, 0x7c, 0xa8],
  );
});

Deno.test("ld06: the manual's example packet decodes, CRC 0x50", () => {
  assert.equal(MANUAL_PACKET.length, 47);
  assert.equal(ld06Crc(MANUAL_PACKET, 0, 46), 0x50);
  assert.deepEqual(decodeLd06Packet(MANUAL_PACKET), MANUAL_DECODED);
  assert.deepEqual(encodeLd06Packet(MANUAL_DECODED), MANUAL_PACKET);
  assert.deepEqual(new Ld06Decoder().push(MANUAL_PACKET), {
    packets: [MANUAL_DECODED],
    corrupt: 0,
  });
});

Deno.test("ld06: point angles interpolate start to end, across the wrap", () => {
  assert.equal(pointAngleDeg(MANUAL_DECODED, 0), 324.27);
  assert.equal(pointAngleDeg(MANUAL_DECODED, 11), 334.7);
  assert.ok(
    Math.abs(pointAngleDeg(MANUAL_DECODED, 1) - (324.27 + 10.43 / 11)) < 1e-9,
  );
  const wrapping = { startAngle: 35900, endAngle: 1000 };
  assert.equal(pointAngleDeg(wrapping, 0), 359);
  assert.equal(pointAngleDeg(wrapping, 1), 0);
  assert.equal(pointAngleDeg(wrapping, 11), 10);
});

Deno.test("ld06: the decoder resynchronises over garbage, cut and corrupt packets", () => {
  const second = encodeLd06Packet({ ...MANUAL_DECODED, timestampMs: 6716 });
  const badCrc = MANUAL_PACKET.slice();
  badCrc[46] ^= 0xff;
  const badAngle = encodeLd06Packet({ ...MANUAL_DECODED, startAngle: 36000 });
  const stream = Uint8Array.from([
    0x00,
    0x54,
    0x13,
    0x2c, // garbage, one lone header byte
    ...MANUAL_PACKET.subarray(0, 20), // cut short
    ...MANUAL_PACKET,
    ...badCrc,
    ...badAngle,
    ...second,
  ]);
  // Fed whole, then one byte at a time: the same result.
  for (const chunk of [stream.length, 1, 5]) {
    const decoder = new Ld06Decoder();
    const packets: Ld06Packet[] = [];
    let corrupt = 0;
    for (let at = 0; at < stream.length; at += chunk) {
      const out = decoder.push(stream.subarray(at, at + chunk));
      packets.push(...out.packets);
      corrupt += out.corrupt;
    }
    assert.deepEqual(
      packets.map((p) => p.timestampMs),
      [6714, 6716],
      `chunks of ${chunk}`,
    );
    assert.equal(corrupt, 3, `chunks of ${chunk}: cut, bad CRC, bad angle`);
  }
});

Deno.test("ld06: an incomplete packet waits for its bytes; reset drops it", () => {
  const decoder = new Ld06Decoder();
  assert.deepEqual(decoder.push(MANUAL_PACKET.subarray(0, 46)), {
    packets: [],
    corrupt: 0,
  });
  assert.deepEqual(decoder.push(MANUAL_PACKET.subarray(46)).packets, [
    MANUAL_DECODED,
  ]);
  decoder.push(MANUAL_PACKET.subarray(0, 30));
  decoder.reset();
  assert.deepEqual(decoder.push(MANUAL_PACKET), {
    packets: [MANUAL_DECODED],
    corrupt: 0,
  });
});

Deno.test("ld06: random bytes never throw and never pass as a packet", () => {
  const random = seededRandom(11);
  const noise = Uint8Array.from(
    { length: 200_000 },
    () => Math.floor(random.next() * 256),
  );
  // Salt the noise with headers so the CRC check is exercised.
  for (let at = 0; at < noise.length - 1; at += 97) {
    noise[at] = 0x54;
    noise[at + 1] = 0x2c;
  }
  const { packets, corrupt } = new Ld06Decoder().push(noise);
  assert.ok(corrupt > 1_000, `${corrupt} candidates rejected`);
  // A random 46-byte body passes the CRC 1 time in 256 and the angle
  // check about 1 in 3: a handful may pass, each a real CRC match.
  assert.ok(packets.length < 10, `${packets.length} accidental packets`);
  for (const packet of packets) {
    const bytes = encodeLd06Packet(packet);
    assert.equal(ld06Crc(bytes, 0, 46), bytes[46]);
  }
});
