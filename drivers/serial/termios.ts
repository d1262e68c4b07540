/**
 * Linux `struct termios2` for serial ports: raw mode with any baud rate
 * (`BOTHER`), set and read through the `TCSETS2` / `TCGETS2` ioctls. The
 * layout and constants are the asm-generic ones, shared by x86_64 and
 * aarch64.
 *
 * @module
 */

/** `TCGETS2`: `_IOR('T', 0x2A, struct termios2)`. */
export const TCGETS2 = 0x802c542an;
/** `TCSETS2`: `_IOW('T', 0x2B, struct termios2)`. */
export const TCSETS2 = 0x402c542bn;
/** Size of `struct termios2`: four flag words, `c_line`, 19 control chars, two speeds. */
export const TERMIOS2_SIZE = 44;

const IFLAG = 0;
const OFLAG = 4;
const CFLAG = 8;
const LFLAG = 12;
const CC = 17;
const ISPEED = 36;
const OSPEED = 40;
const VTIME = 5;
const VMIN = 6;

// c_iflag
const IGNBRK = 0o1;
const BRKINT = 0o2;
const PARMRK = 0o10;
const INPCK = 0o20;
const ISTRIP = 0o40;
const INLCR = 0o100;
const IGNCR = 0o200;
const ICRNL = 0o400;
const IXON = 0o2000;
const IXANY = 0o4000;
const IXOFF = 0o10000;
// c_oflag
const OPOST = 0o1;
// c_cflag
const CBAUD = 0o10017;
const BOTHER = 0o10000;
const IBSHIFT = 16;
const CSIZE = 0o60;
const CSTOPB = 0o100;
const CREAD = 0o200;
const PARENB = 0o400;
const PARODD = 0o1000;
const HUPCL = 0o2000;
const CLOCAL = 0o4000;
const CRTSCTS = 0o20000000000;
// c_lflag
const ISIG = 0o1;
const ICANON = 0o2;
const ECHO = 0o10;
const ECHOE = 0o20;
const ECHOK = 0o40;
const ECHONL = 0o100;
const IEXTEN = 0o100000;

const DATA_BITS: Record<number, number> = { 5: 0, 6: 0o20, 7: 0o40, 8: 0o60 };

/** Line settings of a serial port (serialport's `OpenOptions` subset). */
export interface LineSettings {
  /** Bits per second; any positive integer (`BOTHER`). */
  baudRate: number;
  /** Data bits per character. */
  dataBits: 5 | 6 | 7 | 8;
  /** Stop bits. */
  stopBits: 1 | 2;
  /** Parity. */
  parity: "none" | "even" | "odd";
  /** Hardware (RTS/CTS) flow control. */
  rtscts: boolean;
  /** Software flow control on output. */
  xon: boolean;
  /** Software flow control on input. */
  xoff: boolean;
  /** Any character restarts output. */
  xany: boolean;
  /** Drop DTR on close. */
  hupcl: boolean;
}

/**
 * Rewrites `termios` (as read by `TCGETS2`) in place for raw I/O with
 * `settings`: no echo, no line editing, no character translation, reads
 * return whatever has arrived.
 */
export function makeRaw(termios: Uint8Array, settings: LineSettings): void {
  const view = new DataView(
    termios.buffer,
    termios.byteOffset,
    TERMIOS2_SIZE,
  );
  const get = (at: number) => view.getUint32(at, true);
  const set = (at: number, value: number) =>
    view.setUint32(at, value >>> 0, true);
  let iflag = get(IFLAG) &
    ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
      IXOFF | IXANY | INPCK);
  if (settings.xon) iflag |= IXON;
  if (settings.xoff) iflag |= IXOFF;
  if (settings.xany) iflag |= IXANY;
  if (settings.parity !== "none") iflag |= INPCK;
  let cflag = get(CFLAG) &
    ~(CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS | HUPCL);
  cflag |= DATA_BITS[settings.dataBits] | CREAD | CLOCAL;
  if (settings.stopBits === 2) cflag |= CSTOPB;
  if (settings.parity !== "none") cflag |= PARENB;
  if (settings.parity === "odd") cflag |= PARODD;
  if (settings.rtscts) cflag |= CRTSCTS;
  if (settings.hupcl) cflag |= HUPCL;
  set(IFLAG, iflag);
  set(OFLAG, get(OFLAG) & ~OPOST);
  set(CFLAG, cflag);
  set(
    LFLAG,
    get(LFLAG) & ~(ECHO | ECHOE | ECHOK | ECHONL | ICANON | ISIG | IEXTEN),
  );
  termios[CC + VMIN] = 1;
  termios[CC + VTIME] = 0;
  setSpeed(termios, settings.baudRate);
}

/** Sets only the speed of `termios` (as read by `TCGETS2`) to `baudRate`. */
export function setSpeed(termios: Uint8Array, baudRate: number): void {
  if (!Number.isInteger(baudRate) || baudRate <= 0) {
    throw new RangeError(
      `baud rate must be a positive integer, got ${baudRate}`,
    );
  }
  const view = new DataView(termios.buffer, termios.byteOffset, TERMIOS2_SIZE);
  const cflag = view.getUint32(CFLAG, true) & ~(CBAUD | (CBAUD << IBSHIFT));
  view.setUint32(CFLAG, (cflag | BOTHER | (BOTHER << IBSHIFT)) >>> 0, true);
  view.setUint32(ISPEED, baudRate, true);
  view.setUint32(OSPEED, baudRate, true);
}

/** The output baud rate of `termios` (as read by `TCGETS2`). */
export function speedOf(termios: Uint8Array): number {
  return new DataView(termios.buffer, termios.byteOffset, TERMIOS2_SIZE)
    .getUint32(OSPEED, true);
}
