/**
 * A simulated ESP32 running esp-csi's `csi_recv` example: its console
 * output byte for byte, a few boot and log lines and the header line, then
 * one `CSI_DATA` line per received packet at a fixed rate. The channel's
 * amplitude ripples across the band and its phase turns across it, both
 * drifting over time; DC and the guard subcarriers are zero. The buffer
 * holds the training fields, over the subcarrier indices, of the table in
 * ESP-IDF's "Wi-Fi Channel State Information" guide ({@link CSI_LAYOUTS}):
 * one row per secondary channel (none, below, above), signal mode, channel
 * bandwidth and STBC, from the 128-byte LLTF of a non-HT packet to the
 * 612 bytes of an HT40 STBC packet; LLTF, then HT-LTF, then STBC-HT-LTF.
 * RSSI and the I/Q values can be noisy, and lines
 * damaged (a character of the buffer garbled, which is what a line has
 * instead of a checksum; cut short; garbage before them). {@link EspCsiSim}
 * is what `scripts/serial_sims.ts` and the tests attach to a pty with
 * `SimulatedPort`.
 *
 * @module
 */
import type { Random } from "../sim/random.ts";
import { seededRandom } from "../sim/random.ts";
import {
  type ByteSource,
  concat,
  type Fault,
  type FaultRates,
  NO_FAULTS,
  PacketSource,
} from "../serial/packet_source.ts";
import {
  CSI_COLUMNS,
  CSI_PREFIX,
  type CsiRecord,
  formatCsiLine,
} from "./esp_csi_protocol.ts";

/** What a simulated ESP32 prints. */
export interface EspCsiSimOptions {
  /** CSI lines per second (the csi_send example sends 100 packets a second). */
  rateHz: number;
  /** The transmitter's MAC address. */
  mac: string;
  /** WiFi channel. */
  channel: number;
  /** Mean RSSI, dBm. */
  rssiDbm: number;
  /** Signal mode: 0 non-HT (11b/g), 1 HT (11n). */
  sigMode: 0 | 1;
  /** Secondary channel: 0 none, 1 above, 2 below. */
  secondaryChannel: 0 | 1 | 2;
  /** Channel bandwidth of the packet: 0 20 MHz, 1 40 MHz (HT with a secondary channel only). */
  bandwidth: 0 | 1;
  /** Whether an HT packet used STBC. */
  stbc: boolean;
  /** Whether the packet used a short guard interval. */
  sgi: boolean;
  /** Noise floor, dBm. */
  noiseFloorDbm: number;
  /** Standard deviation of RSSI and of each I/Q value (0: exact). */
  noise: number;
  /** Seed of the noise and the faults. */
  seed: number;
  /** Fault probabilities per line. */
  faults: FaultRates;
}

/** The default: 100 non-HT lines a second from `1a:00:00:00:00:01` on channel 6 at -45 dBm, exact. */
export const ESP_CSI_SIM_DEFAULTS: EspCsiSimOptions = {
  rateHz: 100,
  mac: "1a:00:00:00:00:01",
  channel: 6,
  rssiDbm: -45,
  sigMode: 0,
  secondaryChannel: 0,
  bandwidth: 0,
  stbc: false,
  sgi: false,
  noiseFloorDbm: -92,
  noise: 0,
  seed: 1,
  faults: NO_FAULTS,
};

/** What the example prints before its first CSI line. */
export const BANNER: string = [
  "I (612) wifi:mode : sta (24:0a:c4:00:00:02)",
  "I (1372) csi_recv: ================ CSI RECV ================",
  CSI_COLUMNS.join(","),
  "",
].join("\n");

/** Whether subcarrier `k` (LLTF order: 0 to 31, then -32 to -1) carries nothing: DC and guards. */
export function isNullSubcarrier(k: number): boolean {
  return k === 0 || (k >= 27 && k <= 37);
}

/** Subcarrier index ranges, inclusive, in buffer order. */
type Ranges = readonly (readonly [number, number])[];

/** One row of ESP-IDF's CSI table: the packet it is for and its training fields' subcarrier indices. */
export interface CsiLayout {
  /** Secondary channel: 0 none, 1 above, 2 below. */
  secondaryChannel: 0 | 1 | 2;
  /** 0 non-HT, 1 HT. */
  sigMode: 0 | 1;
  /** 0 20 MHz, 1 40 MHz. */
  bandwidth: 0 | 1;
  /** Whether the packet used STBC. */
  stbc: boolean;
  /** The LLTF's subcarriers. */
  lltf: Ranges;
  /** The HT-LTF's (empty for non-HT). */
  htLtf: Ranges;
  /** The STBC-HT-LTF's (empty without STBC). */
  stbcHtLtf: Ranges;
  /** The buffer's length, bytes (the table's "total bytes"). */
  totalBytes: number;
}

const NONE_20: Ranges = [[0, 31], [-32, -1]];
const LOW: Ranges = [[0, 63]];
const HIGH: Ranges = [[-64, -1]];
const BOTH: Ranges = [[0, 63], [-64, -1]];
const BOTH_STBC: Ranges = [[0, 60], [-60, -1]];

/** A table row from its columns. */
function row(
  secondaryChannel: 0 | 1 | 2,
  sigMode: 0 | 1,
  bandwidth: 0 | 1,
  stbc: boolean,
  lltf: Ranges,
  htLtf: Ranges,
  stbcHtLtf: Ranges,
  totalBytes: number,
): CsiLayout {
  return {
    secondaryChannel,
    sigMode,
    bandwidth,
    stbc,
    lltf,
    htLtf,
    stbcHtLtf,
    totalBytes,
  };
}

/** ESP-IDF's table (classic ESP32, S2, S3, C3), row by row. */
export const CSI_LAYOUTS: readonly CsiLayout[] = [
  row(0, 0, 0, false, NONE_20, [], [], 128),
  row(0, 1, 0, false, NONE_20, NONE_20, [], 256),
  row(0, 1, 0, true, NONE_20, NONE_20, NONE_20, 384),
  row(2, 0, 0, false, LOW, [], [], 128),
  row(2, 1, 0, false, LOW, LOW, [], 256),
  row(2, 1, 0, true, LOW, [[0, 62]], [[0, 62]], 380),
  row(2, 1, 1, false, LOW, BOTH, [], 384),
  row(2, 1, 1, true, LOW, BOTH_STBC, BOTH_STBC, 612),
  row(1, 0, 0, false, HIGH, [], [], 128),
  row(1, 1, 0, false, HIGH, HIGH, [], 256),
  row(1, 1, 0, true, HIGH, [[-62, -1]], [[-62, -1]], 376),
  row(1, 1, 1, false, HIGH, BOTH, [], 384),
  row(1, 1, 1, true, HIGH, BOTH_STBC, BOTH_STBC, 612),
];

/** The table row of a packet, or undefined for a combination the table has not. */
export function csiLayout(
  options: Pick<
    EspCsiSimOptions,
    "secondaryChannel" | "sigMode" | "bandwidth" | "stbc"
  >,
): CsiLayout | undefined {
  const stbc = options.sigMode === 1 && options.stbc;
  return CSI_LAYOUTS.find((l) =>
    l.secondaryChannel === options.secondaryChannel &&
    l.sigMode === options.sigMode && l.bandwidth === options.bandwidth &&
    l.stbc === stbc
  );
}

/** The buffer's subcarrier indices in order: LLTF, HT-LTF, STBC-HT-LTF. */
export function layoutIndices(layout: CsiLayout): number[] {
  return [layout.lltf, layout.htLtf, layout.stbcHtLtf].flatMap((ranges) =>
    ranges.flatMap(([from, to]) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i)
    )
  );
}

/** Whether subcarrier index `s` carries nothing on a channel: DC, and the guards (20 MHz: |s| >= 27; 40 MHz: |s| > 58). */
function isNullIndex(s: number, secondaryChannel: number): boolean {
  return s === 0 || Math.abs(s) > (secondaryChannel === 0 ? 26 : 58);
}

/** CSI line `index` of a simulated ESP32. */
export function espCsiRecord(
  options: EspCsiSimOptions,
  index: number,
): CsiRecord {
  const random = seededRandom(options.seed, index);
  const t = index / options.rateHz;
  const noise = () => options.noise === 0 ? 0 : random.gaussian(options.noise);
  const int8 = (v: number) => Math.max(-128, Math.min(127, Math.round(v)));
  const layout = csiLayout(options);
  if (layout === undefined) {
    throw new Error(
      `ESP-IDF's CSI table has no packet with secondary channel ${options.secondaryChannel}, signal mode ${options.sigMode}, bandwidth ${options.bandwidth}, STBC ${options.stbc}`,
    );
  }
  const indices = layoutIndices(layout);
  const data = new Int8Array(2 * indices.length);
  indices.forEach((s, i) => {
    if (isNullIndex(s, options.secondaryChannel)) return;
    // The channel as a function of the position in the LLTF's 0..63 order.
    const k = (s + 64) % 64;
    const amplitude = 25 + 10 * Math.sin(k / 6 + t);
    const phase = 0.2 * k - 0.5 * t;
    data[2 * i] = int8(amplitude * Math.sin(phase) + noise());
    data[2 * i + 1] = int8(amplitude * Math.cos(phase) + noise());
  });
  return {
    id: index,
    mac: Uint8Array.from(options.mac.split(":"), (h) => parseInt(h, 16)),
    fields: {
      rssi: Math.round(options.rssiDbm + noise()),
      rate: 11,
      sig_mode: options.sigMode,
      mcs: options.sigMode === 1 ? 7 : 0,
      bandwidth: options.bandwidth,
      smoothing: 1,
      not_sounding: 1,
      aggregation: 0,
      stbc: options.sigMode === 1 && options.stbc ? 1 : 0,
      fec_coding: 0,
      sgi: options.sgi ? 1 : 0,
      noise_floor: options.noiseFloorDbm,
      ampdu_cnt: 0,
      channel: options.channel,
      secondary_channel: options.secondaryChannel,
      local_timestamp: (index * Math.round(1e6 / options.rateHz)) >>> 0,
      ant: 0,
      sig_len: 94,
      rx_state: 0,
      len: data.length,
      first_word: 0,
    },
    data,
  };
}

/** A simulated ESP32's console: the banner, then CSI lines at `rateHz`. */
export class EspCsiSim implements ByteSource {
  readonly #lines: PacketSource<CsiRecord>;
  #bannerSent = false;

  /** An ESP32 with `options` over the defaults. */
  constructor(options: Partial<EspCsiSimOptions> = {}) {
    const full = { ...ESP_CSI_SIM_DEFAULTS, ...options };
    espCsiRecord(full, 0); // a packet ESP-IDF's table has not fails here
    this.#lines = new PacketSource(
      full.rateHz,
      (index) => {
        const record = espCsiRecord(full, index);
        return {
          packet: record,
          bytes: new TextEncoder().encode(`${formatCsiLine(record)}\n`),
        };
      },
      full.faults,
      full.seed,
      { corrupt: garbleData, headerBytes: CSI_PREFIX.length },
    );
  }

  /** Called for every CSI line printed, with its fault. */
  set onRecord(listener: (record: CsiRecord, fault: Fault) => void) {
    this.#lines.onPacket = listener;
  }

  /** Faults injected so far. */
  get injected(): PacketSource<CsiRecord>["injected"] {
    return this.#lines.injected;
  }

  /** The banner once, then the lines due by `elapsedMs`. */
  until(elapsedMs: number): Uint8Array {
    const lines = this.#lines.until(elapsedMs);
    if (this.#bannerSent) return lines;
    this.#bannerSent = true;
    return concat([new TextEncoder().encode(BANNER), lines]);
  }
}

/** The line with one character of its buffer replaced by `x`. */
function garbleData(bytes: Uint8Array, random: Random): Uint8Array {
  const body = bytes.slice();
  const open = body.indexOf(0x5b); // [
  const close = body.lastIndexOf(0x5d); // ]
  body[open + 1 + Math.floor(random.next() * (close - open - 1))] = 0x78;
  return body;
}
