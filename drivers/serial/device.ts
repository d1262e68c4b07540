/**
 * Supervises one serial device: opens its port (by path or stable id),
 * feeds every received byte to the protocol decoder, publishes what it
 * decodes, and keeps the sensor's online state true to the device.
 *
 * - Online once a valid packet arrives after opening.
 * - Gone (a read error such as EIO, a hang-up, the port closed, the device
 *   file removed): `offline(source_ended)` at once, then reopened by the
 *   {@link SessionSupervisor} with backoff ({@link RETRY_MIN_MS} doubling to
 *   {@link RETRY_MAX_MS}); the same sensor comes back online when the
 *   device returns.
 * - Open but silent or unintelligible for `silenceMs`: `offline(producer_error)`
 *   with a message naming the port and the likely cause (wrong baud rate,
 *   wrong device, no power); online again when valid packets resume.
 * - Corrupt packets are counted, never published, and logged rate-limited.
 * - Faults the device reports (an error status, a servo that did not
 *   answer) are counted and logged rate-limited; the last one explains a
 *   following silence.
 *
 * A protocol whose device must be asked (commands, polling) gets a
 * {@link DeviceLink} when the port opens and is closed before the port is.
 *
 * @module
 */
import { SerialPortStream } from "@serialport/stream";
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
} from "@serialport/bindings-interface";
import { errorMessage, type Logger, rateLimited } from "../../core/logging.ts";
import type { DriverContext, SensorSink } from "../driver.ts";
import { type SessionEnd, SessionSupervisor } from "../session_supervisor.ts";
import { ffiBinding } from "./binding.ts";
import { type PortSelector, resolvePort } from "./port_selector.ts";
import type { SerialPortInfo } from "./ports.ts";

/** First reopen delay after a failure, ms. */
export const RETRY_MIN_MS = 100;
/** Longest reopen delay, ms. */
export const RETRY_MAX_MS = 1_000;
/** Default time without a valid packet before the device is reported failing, ms. */
const DEFAULT_SILENCE_MS = 2_000;
/** How often the port's liveness (file present, packets arriving) is checked, ms. */
const WATCH_PERIOD_MS = 200;

/** A payload ready to publish. */
export interface DecodedSample {
  /** The encoded payload. */
  payload: Uint8Array;
  /** Capture time, UTC ns. */
  timestampNs: bigint;
  /** Index of the driver's pose output it belongs to; absent for the sensor's own log. */
  pose?: number;
}

/** What a decoder made of a chunk of received bytes. */
export interface Decoded {
  /** Payloads ready to publish. */
  samples: DecodedSample[];
  /** Valid packets decoded. */
  valid: number;
  /** Corrupt packets dropped (bad checksum, truncated). */
  corrupt: number;
  /** A failure the device reported or an answer it did not give, in words (counted, logged). */
  fault?: string;
}

/** What a protocol that talks to its device can do while the port is open. */
export interface DeviceLink {
  /** Sends bytes to the device; resolves once written (or once the port failed or closed). */
  write(bytes: Uint8Array): Promise<void>;
  /** Sets modem control lines; rejects where the port has none (a pty). */
  setLines(lines: { dtr?: boolean; rts?: boolean }): Promise<void>;
  /** Hands over what the protocol found outside `push` (an answer that never came). */
  report(decoded: Decoded): void;
  /** The UTC clock, ns. */
  now(): bigint;
  /** The driver's logger. */
  logger: Logger;
}

/** A device protocol's incremental decoder, fed raw bytes. */
export interface ProtocolDecoder {
  /** Decodes `bytes` received at `nowNs` (UTC ns), keeping partial packets for the next call. */
  push(bytes: Uint8Array, nowNs: bigint): Decoded;
  /** Forgets partial packets and scans, after a reconnect. */
  reset(): void;
  /** Optional, for devices that must be asked: the port is open (and the decoder reset); start talking. */
  open?(link: DeviceLink): void;
  /** Optional: stop talking (once per `open`). `graceful` when the driver stops and the port is still open (e.g. to stop a motor). */
  close?(graceful: boolean): Promise<void>;
}

/** The serial binding a device uses (the FFI binding unless testing). */
export type SerialBinding = BindingInterface<
  BindingPortInterface,
  OpenOptions,
  SerialPortInfo
>;

/** How to reach and understand a device. */
export interface SerialDeviceOptions {
  /** The device model in messages, e.g. `LD06`. */
  model: string;
  /** The port. */
  selector: PortSelector;
  /** Line speed. */
  baudRate: number;
  /** The protocol decoder. */
  decoder: ProtocolDecoder;
  /** Time without a valid packet before reporting the device failing, ms. */
  silenceMs?: number;
  /** The serial binding (default: the FFI binding). */
  binding?: SerialBinding;
}

/** Counters since the device was started. */
export interface DeviceStats {
  /** Bytes received. */
  bytes: number;
  /** Valid packets. */
  valid: number;
  /** Corrupt packets. */
  corrupt: number;
  /** Faults the device reported or answers it did not give. */
  faults: number;
  /** Successful opens. */
  opens: number;
}

/** A supervised serial device publishing into a sensor sink. */
export class SerialDevice {
  /** Counters since start. */
  readonly stats: DeviceStats = {
    bytes: 0,
    valid: 0,
    corrupt: 0,
    faults: 0,
    opens: 0,
  };
  readonly #options: SerialDeviceOptions;
  readonly #binding: SerialBinding;
  readonly #sink: SensorSink;
  readonly #context: DriverContext;
  readonly #logger: Logger;
  readonly #openFailed: (message: string) => void;
  readonly #corruptLog: (message: string) => void;
  readonly #faultLog: (message: string) => void;
  readonly #deviceFaultLog: (message: string) => void;
  readonly #supervisor: SessionSupervisor;
  #online = false;
  #connection: Connection | undefined;
  #closing: Promise<void> = Promise.resolve();

  /** A device reporting to `sink`, logging through `context.logger`. */
  constructor(
    options: SerialDeviceOptions,
    sink: SensorSink,
    context: DriverContext,
  ) {
    this.#options = options;
    this.#binding = options.binding ?? ffiBinding;
    this.#sink = sink;
    this.#context = context;
    this.#logger = context.logger;
    this.#openFailed = rateLimited(60_000, (m) => this.#logger.warn(m));
    this.#corruptLog = rateLimited(10_000, (m) => this.#logger.warn(m));
    this.#faultLog = rateLimited(10_000, (m) => this.#logger.error(m));
    this.#deviceFaultLog = rateLimited(10_000, (m) => this.#logger.warn(m));
    // Each session reports its own state changes as they happen.
    this.#supervisor = new SessionSupervisor({
      retryMinMs: RETRY_MIN_MS,
      retryMaxMs: RETRY_MAX_MS,
      session: (signal) => this.#session(signal),
    });
  }

  /** The port path in use, while open. */
  get path(): string | undefined {
    return this.#connection?.path;
  }

  /** Starts opening the device; never fails (an absent device is retried). */
  start(): void {
    this.#supervisor.start();
  }

  /** Stops reopening and closes the port. */
  async stop(): Promise<void> {
    await this.#supervisor.stop();
  }

  /** One open period of the port: open, receive until the device is lost or `signal` aborts, close. */
  async #session(signal: AbortSignal): Promise<SessionEnd> {
    const { model, selector, baudRate } = this.#options;
    let stream: SerialPortStream;
    let path: string;
    try {
      path = await resolvePort(selector, () => this.#binding.list());
      stream = new SerialPortStream({
        binding: this.#binding,
        path,
        baudRate,
        autoOpen: false,
      });
      await new Promise<void>((resolve, reject) =>
        stream.open((error) => error ? reject(error) : resolve())
      );
    } catch (error) {
      const detail = errorMessage(error);
      this.#openFailed(`${model}: ${detail}; retrying`);
      return { reason: "source_ended", detail, produced: false };
    }
    // Bytes that queued before we opened are stale.
    await new Promise<void>((resolve) => stream.flush(() => resolve()));
    if (signal.aborted) {
      await closeStream(stream);
      return { reason: "source_ended", detail: "stopped", produced: false };
    }
    this.stats.opens++;
    this.#options.decoder.reset();
    const connection = new Connection(path, stream);
    this.#connection = connection;
    this.#logger.info(`opened ${path} at ${baudRate} baud`);
    stream.on("data", (chunk: Uint8Array) => this.#receive(connection, chunk));
    stream.on("close", (error: Error | null) => {
      if (error) this.#lost(connection, error.message);
    });
    stream.on("error", (error: Error) => this.#lost(connection, error.message));
    connection.watch = setInterval(
      () => this.#watch(connection),
      WATCH_PERIOD_MS,
    );
    this.#options.decoder.open?.(this.#link(connection));
    const stopped = () => connection.lost.resolve();
    signal.addEventListener("abort", stopped, { once: true });
    if (signal.aborted) stopped();
    await connection.lost.promise;
    signal.removeEventListener("abort", stopped);
    if (this.#connection === connection) {
      // Stopped with the port still open: let the protocol say goodbye.
      connection.talking = false;
      await this.#options.decoder.close?.(true).catch(() => {});
      this.#disconnect();
    }
    await this.#closing;
    return {
      reason: "source_ended",
      detail: connection.lostBecause ?? "stopped",
      produced: connection.everValid,
    };
  }

  /** What the decoder may do with `connection` while it is the current one. */
  #link(connection: Connection): DeviceLink {
    const current = () => this.#connection === connection;
    const stream = connection.stream;
    return {
      write: (bytes) =>
        new Promise((resolve) => {
          if (!current() || !stream.isOpen) return resolve();
          stream.write(bytes, () => resolve());
        }),
      setLines: (lines) =>
        new Promise((resolve, reject) => {
          if (!current() || !stream.isOpen) {
            return reject(new Error(`${connection.path} is closed`));
          }
          stream.set(lines, (error) => error ? reject(error) : resolve());
        }),
      report: (decoded) => {
        if (current()) this.#apply(connection, decoded, 0);
      },
      now: () => this.#context.now(),
      logger: this.#logger,
    };
  }

  #receive(connection: Connection, chunk: Uint8Array): void {
    if (this.#connection !== connection) return;
    let decoded: Decoded;
    try {
      decoded = this.#options.decoder.push(chunk, this.#context.now());
    } catch (error) {
      // A decoder bug must not take the agent down: drop the bytes.
      this.#options.decoder.reset();
      const detail =
        `${this.#options.model} on ${connection.path}: cannot decode: ${
          errorMessage(error)
        }`;
      this.#faultLog(detail);
      if (this.#online) this.#goOffline("producer_error", detail);
      return;
    }
    this.#apply(connection, decoded, chunk.length);
  }

  #apply(connection: Connection, decoded: Decoded, bytes: number): void {
    const { model } = this.#options;
    this.stats.bytes += bytes;
    this.stats.valid += decoded.valid;
    this.stats.corrupt += decoded.corrupt;
    connection.bytes += bytes;
    connection.corrupt += decoded.corrupt;
    if (decoded.corrupt > 0) {
      this.#corruptLog(
        `corrupt ${model} packet on ${connection.path} (bad checksum or truncated): ${this.stats.corrupt} so far, never published`,
      );
    }
    if (decoded.fault !== undefined) {
      this.stats.faults++;
      connection.fault = decoded.fault;
      this.#deviceFaultLog(
        `${model} on ${connection.path}: ${decoded.fault} (${this.stats.faults} so far)`,
      );
    }
    if (decoded.valid > 0) {
      connection.lastValidMs = performance.now();
      connection.bytes = 0;
      connection.corrupt = 0;
      connection.fault = undefined;
      connection.everValid = true;
      connection.stalled = false;
      if (!this.#online) {
        this.#online = true;
        this.#sink.online();
      }
    }
    for (const { payload, timestampNs, pose } of decoded.samples) {
      if (pose === undefined) this.#sink.sample(payload, timestampNs);
      else this.#sink.pose?.(pose, payload, timestampNs);
    }
  }

  #watch(connection: Connection): void {
    if (this.#connection !== connection) return;
    const silentMs = performance.now() - connection.lastValidMs;
    const limitMs = this.#options.silenceMs ?? DEFAULT_SILENCE_MS;
    if (!connection.stalled && silentMs >= limitMs) {
      connection.stalled = true;
      const detail = this.#silenceDetail(connection, limitMs);
      this.#faultLog(detail);
      this.#goOffline("producer_error", detail);
    }
    if (connection.checking !== undefined) return;
    connection.checking = Deno.stat(connection.path).then(
      () => {},
      (error) => {
        if (error instanceof Deno.errors.NotFound) {
          this.#lost(connection, "the device file was removed");
        }
      },
    ).finally(() => connection.checking = undefined);
  }

  #silenceDetail(connection: Connection, limitMs: number): string {
    const { model, baudRate } = this.#options;
    const seconds = `${limitMs / 1000} s`;
    const received =
      `${connection.bytes} bytes, ${connection.corrupt} corrupt packets received`;
    if (connection.fault !== undefined) {
      return `${model} on ${connection.path}: ${connection.fault} (no valid packet for ${seconds})`;
    }
    if (connection.everValid) {
      return `${model} on ${connection.path} stopped: no valid packet for ${seconds} (${received})`;
    }
    if (connection.bytes === 0) {
      return this.#options.decoder.open === undefined
        ? `no data in ${seconds} on ${connection.path}: is the ${model} connected and powered?`
        : `no answer in ${seconds} on ${connection.path}: wrong baud rate (${baudRate} baud configured), not ${
          article(model)
        } ${model}, or not connected and powered`;
    }
    return `no valid ${model} packet in ${seconds} on ${connection.path}: wrong baud rate or not ${
      article(model)
    } ${model} (${baudRate} baud configured; ${received})`;
  }

  #lost(connection: Connection, reason: string): void {
    if (this.#connection !== connection) return;
    const detail =
      `${this.#options.model} on ${connection.path} disconnected: ${reason}`;
    if (this.#online) this.#goOffline("source_ended", detail);
    else this.#logger.warn(detail);
    connection.lostBecause = detail;
    this.#disconnect();
    connection.lost.resolve();
  }

  #goOffline(reason: "source_ended" | "producer_error", detail: string): void {
    this.#online = false;
    this.#sink.offline(reason, detail);
  }

  #disconnect(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#connection = undefined;
    clearInterval(connection.watch);
    if (connection.talking) {
      void this.#options.decoder.close?.(false).catch(() => {});
    }
    if (this.#online) {
      this.#goOffline(
        "source_ended",
        `${this.#options.model} on ${connection.path} closed`,
      );
    }
    const closing = this.#closing;
    this.#closing = closing.then(async () => {
      await connection.checking;
      await closeStream(connection.stream);
    });
  }
}

/** One open period of the port. */
class Connection {
  lastValidMs = performance.now();
  bytes = 0;
  corrupt = 0;
  everValid = false;
  stalled = false;
  /** The last fault the device reported since its last valid packet. */
  fault: string | undefined;
  /** The decoder was opened on it and not closed yet. */
  talking = true;
  /** The pending check that the device file still exists. */
  checking: Promise<void> | undefined;
  /** Resolved when the device is lost or the driver stops. */
  readonly lost: PromiseWithResolvers<void> = Promise.withResolvers();
  /** Why the device was lost. */
  lostBecause: string | undefined;
  watch: ReturnType<typeof setInterval> | undefined;
  constructor(readonly path: string, readonly stream: SerialPortStream) {}
}

function closeStream(stream: SerialPortStream): Promise<void> {
  stream.removeAllListeners("data");
  return new Promise((resolve) => {
    if (!stream.isOpen) {
      stream.destroy();
      resolve();
      return;
    }
    stream.close(() => {
      stream.destroy();
      resolve();
    });
  });
}

function article(word: string): string {
  return /^[AEIOUaeiou]|^[FHLMNRSX][A-Z0-9]/.test(word) ? "an" : "a";
}
