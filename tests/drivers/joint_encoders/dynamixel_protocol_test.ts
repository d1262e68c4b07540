/**
 * The DYNAMIXEL Protocol 2.0 codec against the ROBOTIS e-manual's example
 * packets, hand-stuffed packets, and a stream decoder fed garbage, cut and
 * corrupt packets.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  describeDxlError,
  describeHardwareError,
  DXL_CRC_TABLE,
  dxlCrc,
  DxlDecoder,
  encodeDxlPacket,
  presentBlock,
  readPresent,
  statusPacket,
  stuff,
  syncReadPacket,
  unstuff,
} from "../../../drivers/joint_encoders/dynamixel_protocol.ts";
import { seededRandom } from "../../../drivers/sim/random.ts";
import { fromSpacedHex } from "../../helpers/hex.ts";

// The e-manual's Protocol 2.0 examples (ID 1, and IDs 1 and 2 for Sync Read).
const PING = fromSpacedHex("FF FF FD 00 01 03 00 01 19 4E");
const READ_POSITION = fromSpacedHex(
  "FF FF FD 00 01 07 00 02 84 00 04 00 1D 15",
);
const SYNC_READ = fromSpacedHex(
  "FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA",
);
const STATUS_1 = fromSpacedHex("FF FF FD 00 01 08 00 55 00 A6 00 00 00 8C C0");
const STATUS_2 = fromSpacedHex("FF FF FD 00 02 08 00 55 00 1F 08 00 00 BA BE");

Deno.test("dynamixel: the CRC table and CRC-16 of the e-manual's packets", () => {
  // First and last entries of the ROBOTIS SDK's table.
  assert.deepEqual(
    Array.from(DXL_CRC_TABLE.subarray(0, 4)),
    [0x0000, 0x8005, 0x800f, 0x000a],
  );
  assert.deepEqual(
    Array.from(DXL_CRC_TABLE.subarray(252)),
    [0x0208, 0x820d, 0x8207, 0x0202],
  );
  assert.equal(dxlCrc(PING, 0, PING.length - 2), 0x4e19);
  assert.equal(dxlCrc(SYNC_READ, 0, SYNC_READ.length - 2), 0xface);
  assert.deepEqual(
    encodeDxlPacket({ id: 1, instruction: 0x01, params: new Uint8Array() }),
    PING,
  );
  assert.deepEqual(
    encodeDxlPacket({
      id: 1,
      instruction: 0x02,
      params: fromSpacedHex("84 00 04 00"),
    }),
    READ_POSITION,
  );
  assert.deepEqual(syncReadPacket(132, 4, [1, 2]), SYNC_READ);
  assert.deepEqual(statusPacket(1, 0, fromSpacedHex("A6 00 00 00")), STATUS_1);
  assert.deepEqual(statusPacket(2, 0, fromSpacedHex("1F 08 00 00")), STATUS_2);
});

Deno.test("dynamixel: byte stuffing, by hand and both ways", () => {
  assert.deepEqual(
    stuff(fromSpacedHex("10 00 FF FF FD 05")),
    fromSpacedHex("10 00 FF FF FD FD 05"),
  );
  assert.deepEqual(
    stuff(fromSpacedHex("FF FF FD FD")),
    fromSpacedHex("FF FF FD FD FD"),
  );
  assert.deepEqual(
    unstuff(fromSpacedHex("FF FF FD FD FD")),
    fromSpacedHex("FF FF FD FD"),
  );
  assert.equal(
    unstuff(fromSpacedHex("FF FF FD 05")),
    undefined,
    "a missing stuffing",
  );
  // Write FF FF FD 05 at address 0x10 of servo 1: the length counts the
  // stuffed bytes (1 + 7 + 2 = 10) and the CRC covers them.
  const write = encodeDxlPacket({
    id: 1,
    instruction: 0x03,
    params: fromSpacedHex("10 00 FF FF FD 05"),
  });
  assert.deepEqual(
    write,
    fromSpacedHex("FF FF FD 00 01 0A 00 03 10 00 FF FF FD FD 05 7C 05"),
  );
  assert.equal(dxlCrc(write, 0, write.length - 2), 0x057c);
  const decoded = new DxlDecoder().push(write);
  assert.deepEqual(decoded.packets, [
    { id: 1, instruction: 0x03, params: fromSpacedHex("10 00 FF FF FD 05") },
  ]);
  const random = seededRandom(9);
  for (let run = 0; run < 200; run++) {
    const bytes = Uint8Array.from(
      { length: Math.floor(random.next() * 12) },
      () => [0xff, 0xfd, 0x00][Math.floor(random.next() * 3)],
    );
    assert.deepEqual(unstuff(stuff(bytes)), bytes, `round trip ${bytes}`);
  }
});

Deno.test("dynamixel: the decoder resynchronises over garbage, cut and corrupt packets", () => {
  const bad = STATUS_2.slice();
  bad[bad.length - 1] ^= 0x40;
  const stream = Uint8Array.from([
    ...fromSpacedHex("00 FF FF FD 13"), // garbage with a partial header
    ...STATUS_1.subarray(0, 9), // cut short
    ...STATUS_1,
    ...bad,
    ...STATUS_2,
  ]);
  for (const chunk of [stream.length, 1, 5]) {
    const decoder = new DxlDecoder();
    const ids: number[] = [];
    let corrupt = 0;
    for (let at = 0; at < stream.length; at += chunk) {
      const out = decoder.push(stream.subarray(at, at + chunk));
      ids.push(...out.packets.map((p) => p.id));
      corrupt += out.corrupt;
    }
    assert.deepEqual(ids, [1, 2], `chunks of ${chunk}`);
    assert.equal(corrupt, 2, `chunks of ${chunk}: cut and bad CRC`);
    assert.equal(decoder.partial, false);
  }
  const waiting = new DxlDecoder();
  waiting.push(STATUS_1.subarray(0, 6));
  assert.equal(waiting.partial, true, "a header waits for its packet");
});

Deno.test("dynamixel: error bytes in words", () => {
  assert.equal(describeDxlError(0x04), "data range error");
  assert.equal(
    describeDxlError(0x81),
    "result fail, hardware alert (see Hardware Error Status, address 70)",
  );
});

Deno.test("dynamixel: Hardware Error Status bits are named as the control table does", () => {
  assert.equal(describeHardwareError(0x01), "input voltage error");
  assert.equal(
    describeHardwareError(0x24),
    "overheating error, overload error",
  );
  assert.equal(
    describeHardwareError(0x18),
    "motor encoder error, electrical shock error",
  );
  assert.equal(describeHardwareError(0x42), "bits 0x42");
  assert.equal(describeHardwareError(0), "");
});

Deno.test("dynamixel: the Present block from Current, Velocity or Position", () => {
  assert.deepEqual(presentBlock(false, false), { address: 132, size: 4 });
  assert.deepEqual(presentBlock(true, false), { address: 128, size: 8 });
  assert.deepEqual(presentBlock(false, true), { address: 126, size: 10 });
  assert.deepEqual(presentBlock(true, true), { address: 126, size: 10 });
  // Current -5, velocity 300, position -70000, little-endian.
  const data = fromSpacedHex("FB FF 2C 01 00 00 90 EE FE FF");
  assert.deepEqual(readPresent(presentBlock(true, true), data), {
    ticks: -70000,
    velocityRaw: 300,
    currentRaw: -5,
  });
  assert.deepEqual(
    readPresent(presentBlock(true, false), data.subarray(2)),
    { ticks: -70000, velocityRaw: 300 },
  );
});
