/**
 * Talks to an RPLIDAR A1/A2 the way Slamtec's SDK does, in standard scan
 * mode:
 *
 * 1. On opening, DTR is deasserted: on the A1 and A2 USB adapter boards DTR
 *    drives the motor enable line, asserted stops the motor (the SDK's
 *    `startMotor` clears DTR, `stopMotor` sets it). A port without modem
 *    lines (a pty) is noted in the debug log and used anyway. The
 *    accessory-board PWM command (0xF0) of later A2/A3 firmware is not sent.
 * 2. STOP, then 20 ms later GET_HEALTH. Status good goes on; warning is
 *    logged (a fault) and goes on; error is a fault naming the error code,
 *    answered with RESET and a new attempt 2 s later (a persistent error
 *    takes the sensor offline with that message).
 * 3. GET_INFO: model, firmware, hardware and serial number are logged.
 * 4. SCAN: nodes until STOP, assembled into revolutions (`rplidar_scan.ts`).
 *
 * A step unanswered for {@link STEP_TIMEOUT_MS}, or a scan that yields no
 * node for as long, starts over at 2. Bytes before an expected descriptor
 * (nodes still arriving after STOP) are skipped. Stopping the driver sends
 * STOP and asserts DTR (motor off). Health and info answers and nodes count
 * as valid packets.
 *
 * @module
 */
import type {
  Decoded,
  DecodedSample,
  DeviceLink,
  ProtocolDecoder,
} from "../serial/device.ts";
import { type ScanOrientation, scanToPoints } from "./ld06_scan.ts";
import {
  decodeHealth,
  decodeInfo,
  type Descriptor,
  encodeDescriptor,
  HEALTH_DESCRIPTOR,
  INFO_DESCRIPTOR,
  NodeDecoder,
  request,
  RplidarCommand,
  SCAN_DESCRIPTOR,
} from "./rplidar_protocol.ts";
import { RevolutionAssembler } from "./rplidar_scan.ts";
import { scanPayload } from "./lidar2d.ts";

/** Wait after STOP before the next request, ms (the protocol asks for at least 1). */
const STOP_SETTLE_MS = 20;
/** How long a step may go unanswered, or a scan without a node, before starting over, ms. */
const STEP_TIMEOUT_MS = 1_000;
/** Wait after RESET before starting over, ms. */
const RESET_WAIT_MS = 2_000;
/** Handshake bytes kept while looking for a descriptor. */
const MAX_HANDSHAKE_BYTES = 4096;

type State =
  | "closed"
  | "settling"
  | "health"
  | "info"
  | "scan"
  | "scanning"
  | "resetting";

const EXPECTED: Partial<Record<State, Descriptor>> = {
  health: HEALTH_DESCRIPTOR,
  info: INFO_DESCRIPTOR,
  scan: SCAN_DESCRIPTOR,
};

/** An RPLIDAR in standard scan mode, as a protocol decoder that talks. */
export class RplidarSession implements ProtocolDecoder {
  readonly #nodes = new NodeDecoder();
  readonly #scans = new RevolutionAssembler();
  #state: State = "closed";
  #handshake: Uint8Array = new Uint8Array(0);
  #link: DeviceLink | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastNodeMs = 0;
  #stallWatch: ReturnType<typeof setInterval> | undefined;
  readonly #orientation: ScanOrientation;

  /** A session publishing points in `orientation` (default `device`). */
  constructor(orientation: ScanOrientation = "device") {
    this.#orientation = orientation;
  }

  /** Starts the motor and the handshake through `link`. */
  open(link: DeviceLink): void {
    this.#link = link;
    link.setLines({ dtr: false }).catch((error) =>
      link.logger.debug(
        `cannot clear DTR (the A1/A2 adapters' motor enable): ${error.message}`,
      )
    );
    this.#restart();
  }

  /** Stops timers; when `graceful`, stops the scan and the motor. */
  async close(graceful: boolean): Promise<void> {
    const link = this.#link;
    this.#enter("closed");
    this.#link = undefined;
    if (!graceful || link === undefined) return;
    await link.write(request(RplidarCommand.STOP));
    await link.setLines({ dtr: true }).catch(() => {});
  }

  /** Decodes handshake answers or scan nodes, as the state expects. */
  push(bytes: Uint8Array, nowNs: bigint): Decoded {
    if (this.#state === "scanning") return this.#scan(bytes, nowNs);
    const expected = EXPECTED[this.#state];
    if (expected === undefined) return { samples: [], valid: 0, corrupt: 0 };
    const found = this.#answer(bytes, expected);
    if (found === undefined) return { samples: [], valid: 0, corrupt: 0 };
    switch (this.#state) {
      case "health":
        return this.#health(found.data);
      case "info":
        return this.#info(found.data);
      default:
        this.#enter("scanning");
        return this.#scan(found.rest, nowNs);
    }
  }

  /** Forgets partial answers, nodes and revolutions. */
  reset(): void {
    this.#handshake = new Uint8Array(0);
    this.#nodes.reset();
    this.#scans.reset();
  }

  /** The data of the `expected` answer once complete, and the bytes after it. */
  #answer(
    bytes: Uint8Array,
    expected: Descriptor,
  ): { data: Uint8Array; rest: Uint8Array } | undefined {
    const buffer = joined(this.#handshake, bytes);
    const at = indexOf(buffer, encodeDescriptor(expected));
    if (at < 0) {
      this.#handshake = buffer.slice(
        Math.max(0, buffer.length - 6),
        buffer.length,
      );
      return undefined;
    }
    const dataEnd = at + 7 + (expected.mode === 0 ? expected.length : 0);
    if (buffer.length < dataEnd) {
      this.#handshake = buffer.length > MAX_HANDSHAKE_BYTES
        ? new Uint8Array(0)
        : buffer.slice(at);
      return undefined;
    }
    this.#handshake = new Uint8Array(0);
    return {
      data: buffer.slice(at + 7, dataEnd),
      rest: buffer.slice(dataEnd),
    };
  }

  #health(data: Uint8Array): Decoded {
    const { status, errorCode } = decodeHealth(data);
    const code = `error code 0x${errorCode.toString(16).padStart(4, "0")}`;
    if (status >= 2) {
      this.#enter("resetting");
      void this.#link?.write(request(RplidarCommand.RESET));
      this.#timer = setTimeout(() => this.#restart(), RESET_WAIT_MS);
      return {
        samples: [],
        valid: 0,
        corrupt: 0,
        fault:
          `reports health error, ${code} (it stopped itself); sent RESET, trying again in ${
            RESET_WAIT_MS / 1000
          } s`,
      };
    }
    this.#send("info", RplidarCommand.GET_INFO);
    return {
      samples: [],
      valid: 1,
      corrupt: 0,
      ...(status === 1 ? { fault: `reports health warning, ${code}` } : {}),
    };
  }

  #info(data: Uint8Array): Decoded {
    const info = decodeInfo(data);
    const serial = Array.from(
      info.serial,
      (b) => b.toString(16).padStart(2, "0"),
    ).join("").toUpperCase();
    this.#link?.logger.info(
      `RPLIDAR model 0x${
        info.model.toString(16).padStart(2, "0")
      }, firmware ${info.firmwareMajor}.${
        String(info.firmwareMinor).padStart(2, "0")
      }, hardware ${info.hardware}, serial ${serial}`,
    );
    this.#send("scan", RplidarCommand.SCAN);
    return { samples: [], valid: 1, corrupt: 0 };
  }

  #scan(bytes: Uint8Array, nowNs: bigint): Decoded {
    const { nodes, corrupt } = this.#nodes.push(bytes);
    const samples: DecodedSample[] = [];
    if (nodes.length > 0) this.#lastNodeMs = performance.now();
    for (const node of nodes) {
      const scan = this.#scans.push(node, nowNs);
      if (scan === undefined) continue;
      samples.push({
        payload: scanPayload(
          scanToPoints(scan, this.#orientation),
          scan.durationNs,
        ),
        timestampNs: scan.timestampNs,
      });
    }
    return { samples, valid: nodes.length, corrupt };
  }

  /** STOP, a pause, then GET_HEALTH. */
  #restart(): void {
    const link = this.#link;
    if (link === undefined) return;
    this.#enter("settling");
    this.reset();
    void link.write(request(RplidarCommand.STOP));
    this.#timer = setTimeout(
      () => this.#send("health", RplidarCommand.GET_HEALTH),
      STOP_SETTLE_MS,
    );
  }

  /** Sends `command` and waits in `state` for its answer, starting over when it does not come. */
  #send(state: State, command: number): void {
    this.#enter(state);
    void this.#link?.write(request(command));
    this.#timer = setTimeout(() => this.#restart(), STEP_TIMEOUT_MS);
  }

  #enter(state: State): void {
    clearTimeout(this.#timer);
    clearInterval(this.#stallWatch);
    this.#stallWatch = undefined;
    this.#state = state;
    if (state !== "scanning") return;
    this.#lastNodeMs = performance.now();
    this.#nodes.reset();
    this.#scans.reset();
    this.#stallWatch = setInterval(() => {
      if (performance.now() - this.#lastNodeMs > STEP_TIMEOUT_MS) {
        this.#restart();
      }
    }, STEP_TIMEOUT_MS / 4);
  }
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}
