/**
 * What a UART receiving at one baud rate makes of bytes sent at another:
 * the device simulators use it to behave like real hardware when the
 * driver's port is set to the wrong speed (a pty pair has no wire, so it
 * would otherwise pass the bytes through untouched).
 *
 * Bytes are sent 8N1 back to back, the line idle (high) before and after.
 * The receiver waits for a falling edge, samples the start bit, the 8 data
 * bits (LSB first) and the stop bit in the middle of each of its bit
 * periods; a character with a low stop bit (framing error) reads as 0x00,
 * as a Linux tty without IGNPAR or PARMRK delivers it.
 *
 * @module
 */

/** The bytes a receiver at `rxBaud` reads when `bytes` are sent at `txBaud`. */
export function receivedAs(
  bytes: Uint8Array,
  txBaud: number,
  rxBaud: number,
): Uint8Array {
  if (txBaud === rxBaud) return bytes;
  const bits = bytes.length * 10;
  const level = (k: number): number => {
    if (k < 0 || k >= bits) return 1;
    const position = k % 10;
    if (position === 0) return 0;
    if (position === 9) return 1;
    return (bytes[(k - position) / 10] >> (position - 1)) & 1;
  };
  // Line level at `t` receiver bit periods after transmit bit `edge` began.
  const ratio = txBaud / rxBaud;
  const sample = (edge: number, t: number) =>
    level(edge + Math.floor(t * ratio));
  const out: number[] = [];
  let from = 0;
  while (from < bits) {
    let edge = from;
    while (edge < bits && !(level(edge) === 0 && level(edge - 1) === 1)) {
      edge++;
    }
    if (edge >= bits) break;
    if (sample(edge, 0.5) !== 0) {
      from = edge + 1; // a glitch shorter than half a receiver bit
      continue;
    }
    let value = 0;
    for (let b = 0; b < 8; b++) value |= sample(edge, 1.5 + b) << b;
    out.push(sample(edge, 9.5) === 1 ? value : 0);
    from = edge + Math.ceil(9.5 * ratio);
  }
  return Uint8Array.from(out);
}
