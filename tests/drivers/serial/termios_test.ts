/**
 * termios2 raw mode and speeds, checked against the kernel ABI values.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  makeRaw,
  setSpeed,
  speedOf,
  TCGETS2,
  TCSETS2,
  TERMIOS2_SIZE,
} from "../../../drivers/serial/termios.ts";

const RAW_8N1 = {
  baudRate: 230400,
  dataBits: 8,
  stopBits: 1,
  parity: "none",
  rtscts: false,
  xon: false,
  xoff: false,
  xany: false,
  hupcl: true,
} as const;

/** A cooked terminal as a fresh pty has it: ICRNL IXON, OPOST ONLCR, B38400 CS8 CREAD HUPCL, ISIG ICANON ECHO... */
function cooked(): Uint8Array {
  const termios = new Uint8Array(TERMIOS2_SIZE);
  const view = new DataView(termios.buffer);
  view.setUint32(0, 0o2400, true);
  view.setUint32(4, 0o5, true);
  view.setUint32(8, 0o2277, true);
  view.setUint32(12, 0o105073, true);
  view.setUint32(36, 38400, true);
  view.setUint32(40, 38400, true);
  return termios;
}

const word = (t: Uint8Array, at: number) =>
  new DataView(t.buffer).getUint32(at, true);

Deno.test("termios: ioctl numbers and struct size are the asm-generic ones", () => {
  // _IOR('T', 0x2A, 44 bytes) and _IOW('T', 0x2B, 44 bytes).
  assert.equal(TCGETS2, (2n << 30n) | (44n << 16n) | (0x54n << 8n) | 0x2an);
  assert.equal(TCSETS2, (1n << 30n) | (44n << 16n) | (0x54n << 8n) | 0x2bn);
  assert.equal(TERMIOS2_SIZE, 4 * 4 + 1 + 19 + 2 * 4);
});

Deno.test("termios: raw 8N1 at any speed", () => {
  const t = cooked();
  makeRaw(t, RAW_8N1);
  assert.equal(word(t, 0), 0, "no input translation or flow control");
  assert.equal(word(t, 4), 0o4, "OPOST off (ONLCR kept but inert)");
  // BOTHER | CS8 | CREAD | HUPCL | CLOCAL, and BOTHER for input (<< 16).
  assert.equal(
    word(t, 8),
    (0o10000 | 0o60 | 0o200 | 0o2000 | 0o4000 | (0o10000 << 16)) >>> 0,
  );
  assert.equal(
    word(t, 12) & (0o1 | 0o2 | 0o10 | 0o100000),
    0,
    "no ISIG ICANON ECHO IEXTEN",
  );
  assert.equal(t[17 + 6], 1, "VMIN");
  assert.equal(t[17 + 5], 0, "VTIME");
  assert.equal(speedOf(t), 230400);
  assert.equal(word(t, 36), 230400, "input speed");
});

Deno.test("termios: 7E2 with RTS/CTS, odd parity, and a speed change", () => {
  const t = cooked();
  makeRaw(t, {
    ...RAW_8N1,
    dataBits: 7,
    stopBits: 2,
    parity: "even",
    rtscts: true,
    hupcl: false,
  });
  const cflag = word(t, 8);
  assert.equal(cflag & 0o60, 0o40, "CS7");
  assert.ok(cflag & 0o100, "CSTOPB");
  assert.ok(cflag & 0o400, "PARENB");
  assert.equal(cflag & 0o1000, 0, "not PARODD");
  assert.ok(cflag & 0o20000000000, "CRTSCTS");
  assert.equal(cflag & 0o2000, 0, "no HUPCL");
  assert.equal(word(t, 0), 0o20, "INPCK with parity");
  makeRaw(t, { ...RAW_8N1, parity: "odd" });
  assert.ok(word(t, 8) & 0o1000, "PARODD");
  setSpeed(t, 1_000_000);
  assert.equal(speedOf(t), 1_000_000);
  assert.equal(word(t, 8) & 0o10017, 0o10000, "BOTHER, no Bnnn code");
  assert.throws(
    () => setSpeed(t, 0),
    /baud rate must be a positive integer, got 0/,
  );
});
