/**
 * A simulated ESP32 running esp-csi's `csi_recv` example: its console
 * output byte for byte, a few boot and log lines and the header line, then
 * one `CSI_DATA` line per received packet at a fixed rate. The channel is a
 * 64-subcarrier LLTF (128 values) whose amplitude ripples across the band
 * and phase turns across it, both drifting over time; DC and the guard
 * subcarriers are zero. RSSI and the I/Q values can be noisy, and lines
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

/** Subcarriers of the LLTF the example captures. */
const SUBCARRIERS = 64;

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
  /** Standard deviation of RSSI and of each I/Q value (0: exact). */
  noise: number;
  /** Seed of the noise and the faults. */
  seed: number;
  /** Fault probabilities per line. */
  faults: FaultRates;
}

/** The default: 100 lines a second from `1a:00:00:00:00:01` on channel 6 at -45 dBm, exact. */
export const ESP_CSI_SIM_DEFAULTS: EspCsiSimOptions = {
  rateHz: 100,
  mac: "1a:00:00:00:00:01",
  channel: 6,
  rssiDbm: -45,
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

/** CSI line `index` of a simulated ESP32. */
export function espCsiRecord(
  options: EspCsiSimOptions,
  index: number,
): CsiRecord {
  const random = seededRandom(options.seed, index);
  const t = index / options.rateHz;
  const noise = () => options.noise === 0 ? 0 : random.gaussian(options.noise);
  const int8 = (v: number) => Math.max(-128, Math.min(127, Math.round(v)));
  const data = new Int8Array(2 * SUBCARRIERS);
  for (let k = 0; k < SUBCARRIERS; k++) {
    if (isNullSubcarrier(k)) continue;
    const amplitude = 25 + 10 * Math.sin(k / 6 + t);
    const phase = 0.2 * k - 0.5 * t;
    data[2 * k] = int8(amplitude * Math.sin(phase) + noise());
    data[2 * k + 1] = int8(amplitude * Math.cos(phase) + noise());
  }
  return {
    id: index,
    mac: Uint8Array.from(options.mac.split(":"), (h) => parseInt(h, 16)),
    fields: {
      rssi: Math.round(options.rssiDbm + noise()),
      rate: 11,
      sig_mode: 1,
      mcs: 7,
      bandwidth: 0,
      smoothing: 1,
      not_sounding: 1,
      aggregation: 0,
      stbc: 0,
      fec_coding: 0,
      sgi: 0,
      noise_floor: -92,
      ampdu_cnt: 0,
      channel: options.channel,
      secondary_channel: 0,
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
