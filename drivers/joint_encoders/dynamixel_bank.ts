/**
 * Polls a bank of DYNAMIXEL X-series servos with one Sync Read of Present
 * Position (address 132, 4 bytes) per cycle, from Present Velocity (128) or
 * Present Current (126) on when those are asked for, and publishes each
 * complete cycle as one `auki.joint_encoders.Data`, joints in configuration
 * order.
 *
 * - Angle: `direction * ticks * 2π / 4096 + offset_rad` (4096 ticks a turn,
 *   Present Position read as a signed int32, so multi-turn positions work).
 * - Joint errors (auki-edge's field `joint_errors`): each servo's status
 *   error byte, so 0 or 0x80 (the hardware alert) in a published cycle.
 * - Hardware errors (`hardware_errors`): for a servo in alert, its Hardware
 *   Error Status (address 70: input voltage, overheating, motor encoder,
 *   electrical shock, overload), read with a Sync Read of that byte in the
 *   slot after the alert first shows and again every
 *   {@link HARDWARE_STATUS_REFRESH_MS} while it lasts (that slot publishes
 *   no angles; a read that fails is tried again after
 *   {@link HARDWARE_STATUS_RETRY_MS}); cleared when the alert bit clears.
 * - Velocity, when asked: `direction * raw * 0.229 rev/min` in rad/s;
 *   current, when asked: `direction * raw * current_unit_ma` in A.
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
  describeHardwareError,
  DXL_STATUS,
  DxlDecoder,
  HARDWARE_ERROR_STATUS_ADDRESS,
  type PresentBlock,
  presentBlock,
  type PresentValues,
  readPresent,
  syncReadPacket,
  VELOCITY_UNIT_RPM,
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

/** How often the Hardware Error Status of a servo in alert is read again, ms. */
export const HARDWARE_STATUS_REFRESH_MS = 1000;
/** How soon a Hardware Error Status read that failed or went unanswered is tried again, ms. */
export const HARDWARE_STATUS_RETRY_MS = 100;
/** Failed reads after which an alert is reported without its cause. */
export const HARDWARE_STATUS_ATTEMPTS = 3;

/** What is known of a servo in alert: its last Hardware Error Status, when it was read, failed reads since. */
interface AlertState {
  /** Hardware Error Status (0 until read). */
  status: number;
  /** When it was read or last tried, performance.now() ms. */
  readMs: number;
  /** Reads that failed since the last good one. */
  failures: number;
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
  /** The control table block read (default: Present Position alone). */
  block?: PresentBlock;
  /** Present Current's unit, mA (when the block holds it). */
  currentUnitMa?: number;
}

/** What one servo said in the current cycle. */
type Answer = { values: PresentValues; error: number } | { problem: string };

/** The bank's protocol: Sync Read cycles in, joint vectors out. */
export class DynamixelBank implements ProtocolDecoder {
  readonly #options: BankOptions;
  readonly #block: PresentBlock;
  readonly #packets = new DxlDecoder();
  readonly #request: Uint8Array;
  readonly #index: Map<number, number>;
  #answers = new Map<number, Answer>();
  /** The servos whose Hardware Error Status the outstanding request reads (empty: a present read). */
  #statusIds: number[] = [];
  #statusAnswers = new Map<number, number | undefined>();
  /** Servos in alert whose status is due at the next slot. */
  #statusDue: number[] = [];
  /** Hardware Error Status of servos in alert, and when it was read (performance.now). */
  #hardware = new Map<number, AlertState>();
  #sentNs = 0n;
  #link: DeviceLink | undefined;
  #poller: Poller | undefined;

  /** A bank polled as `options` say. */
  constructor(options: BankOptions) {
    this.#options = options;
    this.#block = options.block ?? presentBlock(false, false);
    const ids = options.servos.map((s) => s.id);
    this.#request = syncReadPacket(
      this.#block.address,
      this.#block.size,
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
      if (this.#statusIds.length > 0) {
        this.#takeStatus(packet.id, packet.params);
        continue;
      }
      if (this.#answers.has(packet.id)) continue;
      this.#answers.set(packet.id, answerOf(packet.params, this.#block));
    }
    if (this.#statusIds.length > 0) return { ...this.#statusRead(), corrupt };
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
    this.#statusAnswers = new Map();
  }

  #send(): void {
    this.#answers = new Map();
    this.#statusAnswers = new Map();
    this.#sentNs = this.#link?.now() ?? 0n;
    this.#statusIds = this.#statusDue;
    this.#statusDue = [];
    void this.#link?.write(
      this.#statusIds.length > 0
        ? syncReadPacket(HARDWARE_ERROR_STATUS_ADDRESS, 1, this.#statusIds)
        : this.#request,
    );
  }

  /** Records a servo's answer to a Hardware Error Status read (undefined when it failed). */
  #takeStatus(id: number, params: Uint8Array): void {
    if (!this.#statusIds.includes(id) || this.#statusAnswers.has(id)) return;
    const ok = params.length === 2 && (params[0] & 0x7f) === 0;
    this.#statusAnswers.set(id, ok ? params[1] : undefined);
  }

  /** Finishes a Hardware Error Status read once every servo asked answered. */
  #statusRead(): Omit<Decoded, "corrupt"> {
    if (this.#statusAnswers.size < this.#statusIds.length) {
      return { samples: [], valid: 0 };
    }
    this.#poller?.answered();
    const readMs = performance.now();
    const causes: string[] = [];
    for (const [id, status] of this.#statusAnswers) {
      if (status === undefined) {
        this.#statusFailed(id);
        continue;
      }
      this.#hardware.set(id, { status, readMs, failures: 0 });
      if (status !== 0) {
        causes.push(
          `servo ${id}: hardware alert: ${describeHardwareError(status)}`,
        );
      }
    }
    this.#statusIds = [];
    return {
      samples: [],
      valid: 1,
      ...(causes.length > 0 ? { fault: causes.join("; ") } : {}),
    };
  }

  /** A status read of `id` failed: keep what was known, try again soon. */
  #statusFailed(id: number): void {
    const known = this.#hardware.get(id);
    const readMs = performance.now() - HARDWARE_STATUS_REFRESH_MS +
      HARDWARE_STATUS_RETRY_MS;
    this.#hardware.set(id, {
      status: known?.status ?? 0,
      readMs,
      failures: (known?.failures ?? 0) + 1,
    });
  }

  /** Whether servo `id`'s alert can be reported: its cause was read, or reading it failed too often. */
  #causeSettled(id: number): boolean {
    const state = this.#hardware.get(id);
    return state !== undefined &&
      (state.failures === 0 || state.failures >= HARDWARE_STATUS_ATTEMPTS);
  }

  /** Schedules status reads for servos in alert, forgets those out of it. */
  #trackAlerts(read: readonly { error: number }[]): void {
    const now = performance.now();
    this.#options.servos.forEach((servo, i) => {
      if ((read[i].error & 0x80) === 0) {
        this.#hardware.delete(servo.id);
        return;
      }
      const known = this.#hardware.get(servo.id);
      if (
        (known === undefined ||
          now - known.readMs >= HARDWARE_STATUS_REFRESH_MS) &&
        !this.#statusDue.includes(servo.id)
      ) this.#statusDue.push(servo.id);
    });
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
    const read = answers as { values: PresentValues; error: number }[];
    this.#trackAlerts(read);
    const hardware = servos.map((servo) =>
      this.#hardware.get(servo.id)?.status ?? 0
    );
    // An alert whose cause is about to be read is reported with its cause.
    const alerts = servos.flatMap((servo, i) =>
      read[i].error === 0 || !this.#causeSettled(servo.id) ? [] : [
        `servo ${servo.id}: ${
          hardware[i] !== 0
            ? `hardware alert: ${describeHardwareError(hardware[i])}`
            : describeDxlError(read[i].error)
        }`,
      ]
    );
    const fault = alerts.length === 0 ? undefined : alerts.join("; ");
    const angles = servos.map((servo, i) =>
      ticksToRadians(read[i].values.ticks, servo)
    );
    const velocities = servos.flatMap((servo, i) => {
      const raw = read[i].values.velocityRaw;
      return raw === undefined
        ? []
        : [servo.direction * raw * VELOCITY_UNIT_RPM * 2 * Math.PI / 60];
    });
    const unitA = (this.#options.currentUnitMa ?? 0) / 1000;
    const currents = servos.flatMap((servo, i) => {
      const raw = read[i].values.currentRaw;
      return raw === undefined ? [] : [servo.direction * raw * unitA];
    });
    return {
      samples: [{
        payload: toBinary(
          DataSchema,
          create(DataSchema, {
            anglesRad: angles,
            jointErrors: read.map((r) => r.error),
            hardwareErrors: hardware.some((h) => h !== 0) ? hardware : [],
            velocitiesRadS: velocities,
            currentsA: currents,
          }),
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
    if (this.#statusIds.length > 0) {
      for (const id of this.#statusIds) this.#statusFailed(id);
      this.#statusIds = [];
      if (corrupt > 0) link?.report({ samples: [], valid: 0, corrupt });
      return;
    }
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

/** What a status packet's parameters (error byte, then `block`'s data) say. */
function answerOf(params: Uint8Array, block: PresentBlock): Answer {
  const error = params[0];
  if (error === undefined) return { problem: "an empty status packet" };
  if ((error & 0x7f) !== 0) return { problem: describeDxlError(error) };
  const data = params.subarray(1);
  if (data.length !== block.size) {
    return {
      problem: `answered ${data.length} bytes, not ${block.size}`,
    };
  }
  return { values: readPresent(block, data), error };
}
