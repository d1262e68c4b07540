/**
 * The UART receive model against hand-traced bit timings.
 *
 * @module
 */
import assert from "node:assert/strict";
import { receivedAs } from "../../../drivers/serial/uart_wire.ts";
import { Ld06Decoder } from "../../../drivers/rangefinder/ld06_protocol.ts";
import { ld06Source } from "../../../drivers/rangefinder/ld06_device_sim.ts";

Deno.test("uart wire: the same speed passes bytes through", () => {
  const bytes = Uint8Array.from([0x00, 0x55, 0xff, 0x54, 0x2c]);
  assert.equal(receivedAs(bytes, 230400, 230400), bytes);
});

Deno.test("uart wire: 0x55 sent at 9600 and read at 19200", () => {
  // Line: start 0, then 1 0 1 0 1 0 1 0 (LSB first), stop 1. Sampling at
  // twice the speed reads bits 0 1 1 0 0 1 1 0 = 0x66 with a low stop bit
  // (a framing error: 0x00), then, from the next falling edge (bit 6),
  // 0 1 1 0 0 1 1 1 = 0xE6 ending on the idle line.
  assert.deepEqual(
    receivedAs(Uint8Array.of(0x55), 9600, 19200),
    Uint8Array.of(0x00, 0xe6),
  );
});

Deno.test("uart wire: 0xF0 sent at 19200 and read at 9600", () => {
  // Sent bits: start 0, data 0 0 0 0 1 1 1 1, stop 1. A received bit spans
  // two sent bits: the start is sampled at sent bit 1, data bit b at sent
  // bit 3 + 2b: bits 3, 5, 7, 9 read 0 1 1 1, the rest the idle line, so
  // 0b11111110 = 0xFE with a high stop bit.
  assert.deepEqual(
    receivedAs(Uint8Array.of(0xf0), 19200, 9600),
    Uint8Array.of(0xfe),
  );
});

Deno.test("uart wire: LD06 packets read at half speed hold no valid packet", () => {
  const bytes = ld06Source().until(200);
  const decoder = new Ld06Decoder();
  assert.ok(decoder.push(bytes).packets.length >= 10);
  decoder.reset();
  assert.equal(
    decoder.push(receivedAs(bytes, 230400, 115200)).packets.length,
    0,
  );
});
