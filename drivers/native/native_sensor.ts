/**
 * A sensor served by a native driver library (the `native` driver): its
 * description comes from `aed_describe`, its samples from `aed_read` calls
 * that run on Deno's blocking threads, never on the event loop.
 *
 * One session = one `aed_open` handle, read one call at a time into two
 * reused buffers that alternate (the next read runs while a sample is
 * processed). The sensor goes online at the first good sample. A session
 * ends when the device is gone (`AED_E_NO_DEVICE`), after `offlineAfter`
 * failed reads in a row (errors, timeouts, samples that do not fit the
 * description), or when a call outlives its deadline (the driver hangs):
 * the sensor goes offline and the {@link SessionSupervisor} opens a new
 * session after a backoff that doubles from `retryMinMs` to `retryMaxMs`
 * after every failed session (one without a good sample), on the same
 * resource. A failed read the session survives is counted (the sink's
 * `readFailure`) and logged, rate-limited, with the driver's text. An
 * event-driven sensor (`rate_hz` 0) that is quiet is not failing: its
 * timeouts are read again. A hung call pins one blocking thread; its handle
 * is closed, and the next session opened, only once it returns; on stop the
 * sensor waits {@link SHUTDOWN_WAIT_MS} for a read in flight so it can call
 * `aed_close` (switching the device off).
 *
 * @module
 */
import {
  errorMessage,
  type Logger,
  rateLimited,
  silentLogger,
} from "../../core/logging.ts";
import { type Deadlined, withDeadline } from "../deadline.ts";
import { type SessionEnd, SessionSupervisor } from "../session_supervisor.ts";
import type {
  DriverContext,
  JointCalibration,
  OfflineReason,
  SensorDescription,
  SensorDriver,
  SensorSink,
} from "../driver.ts";
import { implausibleTimestamp, monotonicToUtc } from "../timestamps.ts";
import {
  AED_CLOCK,
  AED_E,
  cText,
  type DriverSymbols,
  SAMPLE_META,
} from "./abi.ts";
import { parseDescription } from "./description.ts";
import { openDriverLibrary, resolveLibrary } from "./library.ts";
import { allocateCameraFrame } from "../camera/frame_payload.ts";
import { rawFrameBytes } from "../../core/registries/raw_frame.ts";
import { type SampleEncoder, sampleEncoder, SampleError } from "./samples.ts";
import { bodyFrame } from "../body_frame.ts";
import {
  CALL_DEADLINE_MS,
  EVENT_READ_TIMEOUT_MS,
  HANG_GRACE_MS,
  MAX_DESCRIPTION_BYTES,
  MAX_SAMPLE_BYTES,
  READ_FAILURE_LOG_MS,
  SHUTDOWN_WAIT_MS,
} from "./limits.ts";

const INITIAL_BUFFER_BYTES = 64 * 1024;
const ERROR_BYTES = 1024;

/** The settings of a native sensor. */
export interface NativeSettings {
  /** The sensor id (catalog `resource_id`). */
  id: string;
  /** The frame id (default from the sensor kind). */
  frameId?: string;
  /** A library path, or the name of a bundled reference driver. */
  library: string;
  /** The driver's own configuration, passed to it as JSON. */
  config: Record<string, unknown>;
  /** The `aed_read` timeout, ms; by default from the rate (2 periods, 1 s to 60 s). */
  readTimeoutMs?: number;
  /** Failed reads in a row that take the sensor offline. */
  offlineAfter: number;
  /** First retry delay, ms. */
  retryMinMs: number;
  /** Longest retry delay, ms. */
  retryMaxMs: number;
}

/** Where one `aed_read` writes: the sample buffer and its metadata. */
interface ReadSlot {
  buffer: Uint8Array<ArrayBuffer>;
  meta: Uint8Array<ArrayBuffer>;
  metaView: DataView;
  /** For raw camera frames: the CameraFrame payload `buffer` is the image of. */
  payload?: Uint8Array;
}

function readSlot(bytes: number): ReadSlot {
  const meta = new Uint8Array(SAMPLE_META.size);
  return {
    buffer: new Uint8Array(bytes),
    meta,
    metaView: new DataView(meta.buffer),
  };
}

interface Prepared {
  symbols: DriverSymbols;
  description: SensorDescription;
  encode: SampleEncoder;
  /** Two slots, reused: one being read into while the other is processed. */
  slots: [ReadSlot, ReadSlot];
  /**
   * Bytes of every frame of a raw camera: each is read straight into a new
   * CameraFrame payload, never copied on this thread.
   */
  frameBytes?: number;
  readTimeoutMs: number;
}

/** What {@link settle} gives for a call left behind on stop. */
const ABANDONED = Symbol("abandoned");

/**
 * Waits for a read in flight; once `signal` aborts (the sensor stops), at
 * most {@link SHUTDOWN_WAIT_MS} more, then gives {@link ABANDONED}.
 */
function settle<T>(
  call: Promise<T>,
  signal: AbortSignal,
): Promise<T | typeof ABANDONED> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      timer = setTimeout(() => resolve(ABANDONED), SHUTDOWN_WAIT_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    call.then((value) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    });
  });
}

/** Resolves once a deadlined call really returned, whatever its deadline said. */
function returned<T>(call: Promise<Deadlined<T>>): Promise<T> {
  return call.then((r) => r.done ? r.value : r.pending);
}

/** Bytes of each frame when `description` is a raw camera, else `undefined`. */
function rawCameraFrameBytes(
  description: SensorDescription,
): number | undefined {
  const sensor = description.sensor;
  return sensor.kind === "camera" && sensor.image_encoding === "raw"
    ? rawFrameBytes(sensor.pixel_format, sensor.row_stride_bytes, sensor.height)
    : undefined;
}

/** A native driver library hosted as a sensor. */
export class NativeSensor implements SensorDriver {
  readonly #settings: NativeSettings;
  readonly #config: Uint8Array<ArrayBuffer>;
  readonly #error = new Uint8Array(ERROR_BYTES);
  #prepared: Prepared | undefined;
  #supervisor: SessionSupervisor | undefined;
  #logger: Logger = silentLogger;
  /** Closes waiting for a call in flight to return (then `aed_close`). */
  readonly #closing = new Set<Promise<void>>();

  /** A sensor for `settings`; {@link prepare} loads and describes it. */
  constructor(settings: NativeSettings) {
    this.#settings = settings;
    this.#config = new TextEncoder().encode(
      `${JSON.stringify(settings.config)}\0`,
    );
  }

  /**
   * The driver's description once {@link prepare} resolved; before, only
   * `sensor.sensor_id` is meaningful (the host registers nothing earlier).
   */
  get description(): SensorDescription {
    return this.#prepared?.description ?? {
      sensor: { sensor_id: this.#settings.id, kind: "rf", type: "native" },
      frame: bodyFrame(this.#settings.id, this.#settings.frameId),
      payload: "",
      rateHz: 0,
    };
  }

  #where(): string {
    return `native driver ${this.#settings.library}`;
  }

  /**
   * Loads the library, checks its ABI version and validates what
   * `aed_describe` says about the configuration; throws naming the driver
   * and the reason.
   */
  async prepare(context: DriverContext): Promise<void> {
    if (this.#prepared !== undefined) return;
    try {
      const path = await resolveLibrary(this.#settings.library);
      const symbols = openDriverLibrary(path);
      const { description, maxSampleBytes } = parseDescription(
        await this.#describe(symbols),
        { sensorId: this.#settings.id, frameId: this.#settings.frameId },
      );
      const rate = description.rateHz;
      const frameBytes = rawCameraFrameBytes(description);
      const largest = frameBytes ?? maxSampleBytes;
      if (largest !== undefined && largest > MAX_SAMPLE_BYTES) {
        throw new Error(
          `its samples of ${largest} bytes cannot fit a stream frame (at most ${MAX_SAMPLE_BYTES} bytes): describe an encoded image (jpeg) or a smaller raw format`,
        );
      }
      const bytes = maxSampleBytes ?? INITIAL_BUFFER_BYTES;
      this.#prepared = {
        symbols,
        description,
        encode: sampleEncoder(description),
        slots: [readSlot(bytes), readSlot(bytes)],
        frameBytes,
        readTimeoutMs: this.#settings.readTimeoutMs ??
          (rate > 0
            ? Math.min(60_000, Math.max(1_000, 2_000 / rate))
            : EVENT_READ_TIMEOUT_MS),
      };
      const device = description.device;
      if (device !== undefined) {
        context.logger.info(
          `device: ${
            Object.entries(device).map(([k, v]) => `${k} ${v}`).join(", ")
          }`,
        );
      }
    } catch (error) {
      throw new Error(
        `${this.#where()}: ${errorMessage(error)}`,
      );
    }
  }

  async #describe(symbols: DriverSymbols): Promise<string> {
    for (let size = 4096;; size *= 2) {
      const out = new Uint8Array(size);
      const call = await withDeadline(
        symbols.aed_describe(this.#config, out, size, this.#error, ERROR_BYTES),
        CALL_DEADLINE_MS,
      );
      if (!call.done) {
        throw new Error(
          `aed_describe did not return within ${CALL_DEADLINE_MS} ms`,
        );
      }
      const length = call.value;
      if (length === AED_E.CONFIG) {
        throw new Error(`the driver rejects its config: ${cText(this.#error)}`);
      }
      if (length < 0) throw new Error(`aed_describe failed with ${length}`);
      if (length < size) return cText(out.subarray(0, length + 1));
      if (length >= MAX_DESCRIPTION_BYTES || size >= MAX_DESCRIPTION_BYTES) {
        throw new Error(
          `the description does not fit ${MAX_DESCRIPTION_BYTES} bytes (aed_describe asks for ${length})`,
        );
      }
    }
  }

  /**
   * Joint-encoder banks only: every later sample's angles become
   * `direction * raw + offset_rad` (the stored `calibrate joints` result),
   * or the raw angles again when `calibration` is `undefined`.
   */
  calibrateJoints(calibration: JointCalibration | undefined): void {
    const prepared = this.#prepared;
    const sensor = prepared?.description.sensor;
    if (prepared === undefined || sensor?.kind !== "joint_encoders") {
      throw new Error(`${this.#where()} is not a prepared joint-encoder bank`);
    }
    if (calibration && calibration.offsets_rad.length !== sensor.joint_count) {
      throw new Error(
        `the calibration has ${calibration.offsets_rad.length} joints, the bank ${sensor.joint_count}`,
      );
    }
    prepared.encode = sampleEncoder(prepared.description, calibration);
  }

  /** Starts reading sessions in the background; resolves at once. */
  start(sink: SensorSink, context: DriverContext): Promise<void> {
    if (this.#prepared === undefined) {
      return Promise.reject(new Error(`${this.#where()} was not prepared`));
    }
    if (this.#supervisor?.running) {
      return Promise.reject(new Error(`${this.#settings.id} already started`));
    }
    this.#logger = context.logger;
    const prepared = this.#prepared;
    const warn = rateLimited(10_000, (m) => context.logger.warn(m));
    this.#supervisor = new SessionSupervisor({
      retryMinMs: this.#settings.retryMinMs,
      retryMaxMs: this.#settings.retryMaxMs,
      session: (signal) => this.#session(prepared, sink, context, signal),
      ended: (end) => sink.offline(end.reason, end.detail),
      warn: (message) => warn(`${this.#where()}: ${message}`),
    });
    this.#supervisor.start();
    return Promise.resolve();
  }

  /**
   * Stops reading and closes the handle. A read in flight gets
   * {@link SHUTDOWN_WAIT_MS} to return so `aed_close` can run; one that
   * does not is left behind, its buffers untouched, and said so (its handle
   * is closed if it ever returns while the process lives).
   */
  async stop(): Promise<void> {
    const deadline = Date.now() + SHUTDOWN_WAIT_MS;
    await this.#supervisor?.stop();
    if (this.#closing.size === 0) return;
    const closed = await withDeadline(
      Promise.all(this.#closing),
      Math.max(0, deadline - Date.now()),
    );
    if (!closed.done) {
      this.#logger.warn(
        `${this.#where()}: a driver call did not return within ${SHUTDOWN_WAIT_MS} ms of stopping; aed_close was not called, so the device may stay on until the process exits`,
      );
    }
  }

  /** Keeps `closing` until it settles, so {@link stop} can wait for it. */
  #track(closing: Promise<void>): Promise<void> {
    this.#closing.add(closing);
    return closing.finally(() => this.#closing.delete(closing));
  }

  async #session(
    prepared: Prepared,
    sink: SensorSink,
    context: DriverContext,
    signal: AbortSignal,
  ): Promise<SessionEnd> {
    const { symbols } = prepared;
    const opened = await withDeadline(
      symbols.aed_open(this.#config, this.#error, ERROR_BYTES),
      CALL_DEADLINE_MS,
    );
    if (!opened.done) {
      return {
        reason: "producer_error",
        detail: `aed_open did not return within ${CALL_DEADLINE_MS} ms`,
        produced: false,
        stuck: this.#track(
          opened.pending.then((handle) => this.#close(symbols, handle)),
        ),
      };
    }
    const handle = opened.value;
    if (handle === null) {
      return {
        reason: "source_ended",
        detail: `aed_open failed: ${cText(this.#error) || "no message"}`,
        produced: false,
      };
    }
    const end = await this.#readUntilEnd(
      prepared,
      handle,
      sink,
      context,
      signal,
    );
    if (end.stuck === undefined) {
      await this.#close(symbols, handle);
    } else {
      end.stuck = this.#track(
        end.stuck.then(() => this.#close(symbols, handle)),
      );
    }
    return end;
  }

  async #close(
    symbols: DriverSymbols,
    handle: Deno.PointerValue,
  ): Promise<void> {
    if (handle === null) return;
    const closed = await withDeadline(
      symbols.aed_close(handle),
      CALL_DEADLINE_MS,
    );
    if (!closed.done) {
      this.#logger.warn(
        `${this.#where()}: aed_close did not return within ${CALL_DEADLINE_MS} ms`,
      );
    }
  }

  /** Starts `aed_read` into `slot`, raced against the hang deadline. */
  #read(
    prepared: Prepared,
    handle: Deno.PointerValue,
    slot: ReadSlot,
  ): Promise<Deadlined<number>> {
    if (prepared.frameBytes !== undefined) {
      const { payload, image } = allocateCameraFrame(prepared.frameBytes);
      slot.payload = payload;
      slot.buffer = image as Uint8Array<ArrayBuffer>;
    }
    return withDeadline(
      prepared.symbols.aed_read(
        handle,
        slot.buffer,
        slot.buffer.byteLength,
        prepared.readTimeoutMs,
        slot.meta,
      ),
      prepared.readTimeoutMs + HANG_GRACE_MS,
    );
  }

  /**
   * Reads until the session ends. Two slots alternate: as soon as a sample
   * arrives the next read starts into the other slot, so the driver works
   * while this thread validates, encodes and records.
   */
  async #readUntilEnd(
    prepared: Prepared,
    handle: Deno.PointerValue,
    sink: SensorSink,
    context: DriverContext,
    signal: AbortSignal,
  ): Promise<SessionEnd> {
    const { symbols, readTimeoutMs } = prepared;
    const eventDriven = prepared.description.rateHz === 0;
    const survived = rateLimited(
      READ_FAILURE_LOG_MS,
      (m) => context.logger.warn(`${this.#where()}: ${m}`),
    );
    const state = { produced: false };
    let failures = 0;
    let timeouts = 0;
    let problem = "";
    let current = 0;
    let next: Promise<Deadlined<number>> | undefined = this.#read(
      prepared,
      handle,
      prepared.slots[current],
    );
    const end = async (
      reason: OfflineReason,
      detail: string,
    ): Promise<SessionEnd> => {
      // Never leave a read running on a handle about to be closed.
      const call = next;
      const inFlight = call === undefined
        ? undefined
        : await settle(call, signal);
      return {
        reason,
        detail,
        produced: state.produced,
        stuck: inFlight === ABANDONED
          ? returned(call!)
          : inFlight?.done === false
          ? inFlight.pending
          : undefined,
      };
    };
    while (next !== undefined) {
      const read = await settle(next, signal);
      if (read === ABANDONED) {
        // Stopping, and the read did not return in time: the handle is
        // closed once it does (stop waits for that a bounded time).
        return {
          reason: "source_ended",
          detail: "stopped",
          produced: state.produced,
          stuck: returned(next),
        };
      }
      next = undefined;
      if (!read.done) {
        return {
          reason: "producer_error",
          detail: `aed_read hung: no return within ${
            readTimeoutMs + HANG_GRACE_MS
          } ms (timeout ${readTimeoutMs} ms)`,
          produced: state.produced,
          stuck: read.pending,
        };
      }
      const n = read.value;
      const slot = prepared.slots[current];
      if (signal.aborted) return end("source_ended", "stopped");
      if (n > 0) {
        current = 1 - current;
        next = this.#read(prepared, handle, prepared.slots[current]);
        const sample = this.#sample(slot, n, prepared, context);
        if (typeof sample !== "string") {
          if (!state.produced) sink.online();
          state.produced = true;
          failures = 0;
          timeouts = 0;
          sink.sample(sample.payload, sample.timestampNs);
          continue;
        }
        problem = sample;
      } else if (n === 0) {
        if (eventDriven) {
          // A quiet event-driven sensor is not failing: read again.
          next = this.#read(prepared, handle, prepared.slots[current]);
          continue;
        }
        problem = `no sample within ${readTimeoutMs} ms`;
        timeouts++;
      } else if (n === AED_E.TOO_SMALL) {
        problem = this.#grow(slot) ?? "";
      } else if (n === AED_E.NO_DEVICE) {
        return end(
          "source_ended",
          `device gone: ${this.#lastError(symbols, handle)}`,
        );
      } else if (n === AED_E.FAILED) {
        problem = `aed_read failed: ${this.#lastError(symbols, handle)}`;
      } else {
        problem = `aed_read returned ${n}, not a byte count or an AED_E_* code`;
      }
      if (problem !== "" && ++failures >= this.#settings.offlineAfter) {
        return end(
          timeouts === failures ? "source_ended" : "producer_error",
          `${failures} failed reads in a row, the last: ${problem}`,
        );
      }
      if (problem !== "") {
        sink.readFailure?.(problem);
        survived(`a failed read (${failures} in a row): ${problem}`);
      }
      problem = "";
      next ??= this.#read(prepared, handle, prepared.slots[current]);
    }
    return end("source_ended", "stopped");
  }

  #lastError(symbols: DriverSymbols, handle: Deno.PointerValue): string {
    symbols.aed_last_error(handle, this.#error, ERROR_BYTES);
    return cText(this.#error) || "no message";
  }

  /** The payload and UTC timestamp of the sample of `n` bytes, or why it has none. */
  #sample(
    slot: ReadSlot,
    n: number,
    prepared: Prepared,
    context: DriverContext,
  ): { payload: Uint8Array; timestampNs: bigint } | string {
    const capacity = slot.buffer.byteLength;
    if (n > capacity) {
      return `aed_read returned ${n} bytes for a ${capacity}-byte buffer`;
    }
    const stamp = slot.metaView.getBigInt64(SAMPLE_META.timestampNs, true);
    const clock = slot.metaView.getInt32(SAMPLE_META.clock, true);
    let timestampNs: bigint;
    if (clock === AED_CLOCK.REALTIME) timestampNs = stamp;
    else if (clock === AED_CLOCK.MONOTONIC) {
      timestampNs = monotonicToUtc(stamp, context);
    } else return `unknown clock ${clock} in aed_sample_meta`;
    const implausible = implausibleTimestamp(timestampNs, context.now());
    if (implausible !== undefined) return implausible;
    try {
      const bytes = slot.buffer.subarray(0, n);
      const payload = slot.payload !== undefined && n === capacity
        ? slot.payload
        : prepared.encode(bytes);
      return { payload, timestampNs };
    } catch (error) {
      if (error instanceof SampleError) return error.message;
      throw error;
    }
  }

  /** Grows the slot's buffer to what `aed_sample_meta.needed` asks; returns why not. */
  #grow(slot: ReadSlot): string | undefined {
    const needed = slot.metaView.getBigUint64(SAMPLE_META.needed, true);
    const capacity = slot.buffer.byteLength;
    if (needed <= BigInt(capacity)) {
      return `aed_read says the buffer is too small but needs ${needed} bytes of its ${capacity}`;
    }
    if (needed > BigInt(MAX_SAMPLE_BYTES)) {
      return `a sample of ${needed} bytes exceeds the ${MAX_SAMPLE_BYTES}-byte limit`;
    }
    slot.buffer = new Uint8Array(Number(needed));
    return undefined;
  }
}
