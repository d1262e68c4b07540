/**
 * The `CSI_DATA` lines Espressif's esp-csi examples (`csi_recv`,
 * `csi_recv_router`, `csi_send`'s receiver) print on an ESP32, ESP32-S2/S3
 * or ESP32-C3 console, one received packet a line, after printing their
 * header line once:
 *
 * ```text
 * type,id,mac,rssi,rate,sig_mode,mcs,bandwidth,smoothing,not_sounding,aggregation,stbc,fec_coding,sgi,noise_floor,ampdu_cnt,channel,secondary_channel,local_timestamp,ant,sig_len,rx_state,len,first_word,data
 * CSI_DATA,0,ac:67:b2:53:8f:31,-31,11,1,7,1,1,1,0,0,0,0,-89,0,13,2,48079152,0,66,0,128,1,"[66,32,4,0,...]"
 * ```
 *
 * Those 25 columns ({@link CSI_COLUMNS}) are what this module reads: the
 * record type, a counter, the transmitter MAC, the `wifi_pkt_rx_ctrl_t`
 * fields (RSSI in dBm, PHY rate, signal mode, MCS, bandwidth, smoothing,
 * not sounding, aggregation, STBC, FEC coding, short GI, noise floor in
 * dBm, A-MPDU count, primary and secondary channel, the receiver's
 * microsecond timestamp, antenna, signal length, receive state), then the
 * buffer length, `first_word_invalid` and the quoted `[..]` buffer of `len`
 * int8 values. The ESP32-C5/C6 variant (15 columns, 12-bit values) is not
 * read.
 *
 * The buffer holds two int8 per subcarrier, imaginary part first, then real
 * part (ESP-IDF's Wi-Fi Channel State Information guide). When
 * `first_word_invalid` is 1 the first four bytes (two subcarriers) are not
 * valid, a hardware limitation of the classic ESP32.
 *
 * @module
 */

/** The columns of a line, as the examples' header names them. */
export const CSI_COLUMNS: readonly string[] = [
  "type",
  "id",
  "mac",
  "rssi",
  "rate",
  "sig_mode",
  "mcs",
  "bandwidth",
  "smoothing",
  "not_sounding",
  "aggregation",
  "stbc",
  "fec_coding",
  "sgi",
  "noise_floor",
  "ampdu_cnt",
  "channel",
  "secondary_channel",
  "local_timestamp",
  "ant",
  "sig_len",
  "rx_state",
  "len",
  "first_word",
  "data",
];

/** What starts a record. */
export const CSI_PREFIX = "CSI_DATA,";
/** The integer columns between `mac` and `data`, by name. */
const INTEGER_COLUMNS = CSI_COLUMNS.slice(3, 24);
const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;
const INTEGER = /^-?\d+$/;
const DATA = /^"\[(-?\d+(?:,-?\d+)*)\]"$/;

/** One `CSI_DATA` line, parsed. */
export interface CsiRecord {
  /** The example's packet counter. */
  id: number;
  /** Transmitter MAC address, 6 bytes. */
  mac: Uint8Array;
  /** The integer columns from `rssi` to `first_word`, by column name. */
  fields: Record<string, number>;
  /** The CSI buffer, `len` int8 values. */
  data: Int8Array;
}

/** A record as a line (without the newline), as the examples print it. */
export function formatCsiLine(record: CsiRecord): string {
  const mac = Array.from(
    record.mac,
    (b) => b.toString(16).padStart(2, "0"),
  ).join(":");
  const fields = INTEGER_COLUMNS.map((name) => record.fields[name]);
  return `CSI_DATA,${record.id},${mac},${fields.join(",")},"[${
    record.data.join(",")
  }]"`;
}

/** Parses a `CSI_DATA` line; the reason it is not one otherwise. */
export function parseCsiLine(line: string): CsiRecord | string {
  if (!line.startsWith(CSI_PREFIX)) return "not a CSI_DATA line";
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < CSI_COLUMNS.length - 1; i++) {
    const comma = line.indexOf(",", at);
    if (comma < 0) return `only ${parts.length + 1} columns`;
    parts.push(line.slice(at, comma));
    at = comma + 1;
  }
  const data = DATA.exec(line.slice(at));
  if (data === null) return "the data column is not a quoted [...] list";
  const id = parts[1];
  if (!INTEGER.test(id)) return `id "${id}" is not an integer`;
  if (!MAC.test(parts[2])) return `mac "${parts[2]}" is not a MAC address`;
  const fields: Record<string, number> = {};
  for (const [i, name] of INTEGER_COLUMNS.entries()) {
    const text = parts[3 + i];
    if (!INTEGER.test(text)) return `${name} "${text}" is not an integer`;
    fields[name] = Number(text);
  }
  const values = data[1].split(",").map(Number);
  if (values.length !== fields.len) {
    return `len ${fields.len} but ${values.length} values`;
  }
  if (values.length % 2 !== 0) {
    return `an odd number of values (${values.length})`;
  }
  if (values.some((v) => v < -128 || v > 127)) return "a value is not an int8";
  return {
    id: Number(id),
    mac: Uint8Array.from(parts[2].split(":"), (h) => parseInt(h, 16)),
    fields,
    data: Int8Array.from(values),
  };
}

/** Per-subcarrier amplitude and phase (radians) of a record; the invalid first word's as NaN. */
export function subcarriers(
  record: CsiRecord,
): { amplitudes: number[]; phases: number[] } {
  const count = record.data.length / 2;
  const amplitudes: number[] = new Array(count);
  const phases: number[] = new Array(count);
  const invalid = record.fields.first_word === 1 ? 2 : 0;
  for (let k = 0; k < count; k++) {
    if (k < invalid) {
      amplitudes[k] = NaN;
      phases[k] = NaN;
      continue;
    }
    const imaginary = record.data[2 * k];
    const real = record.data[2 * k + 1];
    amplitudes[k] = Math.hypot(real, imaginary);
    phases[k] = Math.atan2(imaginary, real);
  }
  return { amplitudes, phases };
}

/** What one {@link LineSplitter.push} found. */
export interface Lines {
  /** Complete lines, without their `\r\n` or `\n`. */
  lines: string[];
  /** Lines dropped for being longer than the limit. */
  overlong: number;
}

/**
 * Splits bytes into text lines at `\n` (a `\r` before it is dropped), each
 * byte one character (the console is ASCII; other bytes cannot break a
 * line). A line longer than `maxBytes` is dropped up to its end.
 */
export class LineSplitter {
  readonly #decoder = new TextDecoder("latin1");
  readonly #maxBytes: number;
  #partial = "";
  #skipping = false;

  /** A splitter dropping lines over `maxBytes`. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The lines `bytes` complete. */
  push(bytes: Uint8Array): Lines {
    const lines: string[] = [];
    let overlong = 0;
    let from = 0;
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, from)) {
      const text = this.#partial +
        this.#decoder.decode(bytes.subarray(from, nl));
      this.#partial = "";
      if (this.#skipping) this.#skipping = false;
      else if (text.length > this.#maxBytes) overlong++;
      else lines.push(text.endsWith("\r") ? text.slice(0, -1) : text);
      from = nl + 1;
    }
    if (!this.#skipping) {
      this.#partial += this.#decoder.decode(bytes.subarray(from));
      if (this.#partial.length > this.#maxBytes) {
        this.#partial = "";
        this.#skipping = true;
        overlong++;
      }
    }
    return { lines, overlong };
  }

  /** Forgets a partial line. */
  reset(): void {
    this.#partial = "";
    this.#skipping = false;
  }
}
