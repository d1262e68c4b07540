/**
 * Polls a bank of DYNAMIXEL X-series servos with one Sync Read of Present
 * Position (address 132, 4 bytes) per cycle and publishes each complete
 * cycle as one `auki.joint_encoders.Data`, joints in configuration order.
 *
 * - Angle: `direction * ticks * 2π / 4096 + offset_rad` (4096 ticks a turn,
 *   Present Position read as a signed int32, so multi-turn positions work).
 * - Timestamp: when the Sync Read was sent (the servos sample their
 *   position as they receive it).
 * - A cycle is published only when every servo answered with error number
 *   0. A servo that does not answer within the timeout, or answers with an
 *   error number (result fail, data range, ...), makes the whole cycle
 *   unpublished (a joint vector must hold every joint) and is counted as a
 *   fault naming the servo; persistent, it takes the sensor offline with
 *   that message after the silence limit. A hardware alert (error bit 7)
 *   alone does not void the position: the cycle is published and the alert
 *   logged as a fault.
 * - When no servo answers at all, no fault is counted: the silence watchdog
 *   reports it (wrong baud rate, wrong device, no power).
 * - Only complete published cycles count as valid packets.
 *
 * @module
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { DataSchema } from "../../core/proto/gen/auki/joint_encoders_pb.ts";
import type { Decoded, DeviceLink, ProtocolDecoder } from "../serial/device.ts";
import { Poller } from "../serial/poller.ts";
import {
  describeDxlError,
  DXL_STATUS,
  DxlDecoder,
  PRESENT_POSITION_ADDRESS,
  PRESENT_POSITION_SIZE,
  syncReadPacket,
} from "./dynamixel_protocol.ts";

/** Position ticks per turn of an X-series servo. */
const TICKS_PER_TURN = 4096;

/** One joint of the bank. */
export interface Servo {
  /** The servo's DYNAMIXEL id. */
  id: number;
  /** Added to the angle, radians. */
  offsetRad: number;
  /** +1, or -1 when the joint turns against the servo. */
  direction: 1 | -1;
}

/** The joint angle of `servo` at `ticks`, radians. */
function ticksToRadians(ticks: number, servo: Servo): number {
  return servo.direction * ticks * 2 * Math.PI / TICKS_PER_TURN +
    servo.offsetRad;
}

/** How a bank is polled. */
export interface BankOptions {
  /** The joints, in published order. */
  servos: readonly Servo[];
  /** Sync Reads per second. */
  rateHz: number;
  /** Time a Sync Read may stay unanswered, ms. */
  timeoutMs: number;
}

/** What one servo said in the current cycle. */
type Answer = { ticks: number; alert: boolean } | { problem: string };

/** The bank's protocol: Sync Read cycles in, joint vectors out. */
export class DynamixelBank implements ProtocolDecoder {
  readonly #options: BankOptions;
  readonly #packets = new DxlDecoder();
  readonly #request: Uint8Array;
  readonly #index: Map<number, number>;
  #answers = new Map<number, Answer>();
  #sentNs = 0n;
  #link: DeviceLink | undefined;
  #poller: Poller | undefined;

  /** A bank polled as `options` say. */
  constructor(options: BankOptions) {
    this.#options = options;
    const ids = options.servos.map((s) => s.id);
    this.#request = syncReadPacket(
      PRESENT_POSITION_ADDRESS,
      PRESENT_POSITION_SIZE,
      ids,
    );
    this.#index = new Map(ids.map((id, i) => [id, i]));
  }

  /** Starts polling through `link`. */
  open(link: DeviceLink): void {
    this.#link = link;
    this.#poller = new Poller({
      periodMs: 1000 / this.#options.rateHz,
      timeoutMs: this.#options.timeoutMs,
      send: () => this.#send(),
      expire: () => this.#expire(),
    });
    this.#poller.start();
  }

  /** Stops polling. */
  close(): Promise<void> {
    this.#poller?.stop();
    this.#poller = undefined;
    this.#link = undefined;
    return Promise.resolve();
  }

  /** Decodes status packets into the current cycle; publishes it once complete. */
  push(bytes: Uint8Array): Decoded {
    const { packets, corrupt } = this.#packets.push(bytes);
    for (const packet of packets) {
      // Our own request echoed by a half-duplex adapter, or a late answer.
      if (packet.instruction !== DXL_STATUS) continue;
      if (!this.#poller?.outstanding || !this.#index.has(packet.id)) continue;
      if (this.#answers.has(packet.id)) continue;
      this.#answers.set(packet.id, answerOf(packet.params));
    }
    if (this.#answers.size < this.#options.servos.length) {
      return { samples: [], valid: 0, corrupt };
    }
    this.#poller?.answered();
    return { ...this.#complete(), corrupt };
  }

  /** Forgets a partial packet and the current cycle. */
  reset(): void {
    this.#packets.reset();
    this.#answers = new Map();
  }

  #send(): void {
    this.#answers = new Map();
    this.#sentNs = this.#link?.now() ?? 0n;
    void this.#link?.write(this.#request);
  }

  #complete(): Omit<Decoded, "corrupt"> {
    const { servos } = this.#options;
    const answers = servos.map((servo) => this.#answers.get(servo.id)!);
    const problems = servos.flatMap((servo, i) => {
      const answer = answers[i];
      return "problem" in answer
        ? [`servo ${servo.id}: ${answer.problem}`]
        : [];
    });
    if (problems.length > 0) {
      return {
        samples: [],
        valid: 0,
        fault: `${problems.join("; ")}; cycle not published`,
      };
    }
    const alerts = servos.flatMap((servo, i) => {
      const answer = answers[i];
      return "alert" in answer && answer.alert
        ? [`servo ${servo.id}: ${describeDxlError(0x80)}`]
        : [];
    });
    const fault = alerts.length === 0 ? undefined : alerts.join("; ");
    const angles = servos.map((servo, i) =>
      ticksToRadians((answers[i] as { ticks: number }).ticks, servo)
    );
    return {
      samples: [{
        payload: toBinary(
          DataSchema,
          create(DataSchema, { anglesRad: angles }),
        ),
        timestampNs: this.#sentNs,
      }],
      valid: 1,
      ...(fault === undefined ? {} : { fault }),
    };
  }

  #expire(): void {
    const link = this.#link;
    const answered = this.#answers.size;
    const corrupt = this.#packets.partial ? 1 : 0;
    this.#packets.reset();
    if (link === undefined || (answered === 0 && corrupt === 0)) return;
    const silent = this.#options.servos.filter((s) => !this.#answers.has(s.id));
    link.report({
      samples: [],
      valid: 0,
      corrupt,
      ...(answered === 0 ? {} : {
        fault: `${
          silent.map((s) => `servo ${s.id}`).join(", ")
        } did not answer the Sync Read (${answered} of ${this.#options.servos.length} did); cycle not published`,
      }),
    });
  }
}

/** What a status packet's parameters (error byte, then data) say. */
function answerOf(params: Uint8Array): Answer {
  const error = params[0];
  if (error === undefined) return { problem: "an empty status packet" };
  if ((error & 0x7f) !== 0) return { problem: describeDxlError(error) };
  const data = params.subarray(1);
  if (data.length !== PRESENT_POSITION_SIZE) {
    return {
      problem: `answered ${data.length} bytes, not ${PRESENT_POSITION_SIZE}`,
    };
  }
  return {
    ticks: new DataView(data.buffer, data.byteOffset, 4).getInt32(0, true),
    alert: (error & 0x80) !== 0,
  };
}
