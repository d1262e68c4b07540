/**
 * Runs a simulated device on one end of a pty pair: every few milliseconds
 * it writes what its {@link ByteSource} transmitted since, like a UART that
 * never waits. Bytes due while the previous write is still in progress are
 * queued behind it (up to {@link MAX_QUEUED_BYTES}); bytes that cannot go
 * out because the port is gone are lost, as on a real line. When `peer`
 * (the driver's end) is set to a different baud rate, the bytes are first
 * turned into what a UART at that speed would receive ({@link receivedAs}).
 * A vanished port (the pair was unplugged) is reopened when it returns.
 *
 * A source that answers requests (`receive`) also gets what the driver
 * writes, as a UART at the device's speed reads it when the driver's speed
 * differs, and its answer goes out at once rather than at the next tick.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { openPort, readBaudRate } from "./binding.ts";
import type { FdPort } from "./fd_port.ts";
import { type ByteSource, concat } from "./packet_source.ts";
import { receivedAs } from "./uart_wire.ts";

/** Write period, ms. */
const PERIOD_MS = 5;
/** How often the port is reopened while gone and the peer's speed is re-read, ms. */
const CHECK_MS = 200;
/** How stale the peer's speed may be when converting received bytes, ms. */
const RECEIVE_CHECK_MS = 50;
/** Bytes queued behind a slow write before the rest is lost. */
const MAX_QUEUED_BYTES = 1 << 20;

/** Options of {@link SimulatedPort}. */
export interface SimulatedPortOptions {
  /** The simulator's end of the pair. */
  path: string;
  /** The device's line speed. */
  baudRate: number;
  /** What the device transmits (and, with `receive`, what it is told). */
  source: ByteSource;
  /** The driver's end, whose speed decides what arrives at either end. */
  peer?: string;
}

/** A device simulator attached to a pty. */
export class SimulatedPort {
  /** Bytes written, lost and received. */
  readonly stats = { written: 0, lost: 0, received: 0 };
  readonly #options: SimulatedPortOptions;
  #port: FdPort | undefined;
  #writing: Promise<void> | undefined;
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;
  #reading: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running = false;
  #startMs = 0;
  #lastCheckMs = -Infinity;
  #peerReadMs = -Infinity;
  #peerBaud: number | undefined;

  /** A simulator writing `options.source` to `options.path`. */
  constructor(options: SimulatedPortOptions) {
    this.#options = options;
  }

  /** Starts transmitting (time 0 of the source is now). */
  start(): void {
    this.#running = true;
    this.#startMs = performance.now();
    this.#timer = setInterval(() => this.#tick(), PERIOD_MS);
    this.#tick();
  }

  /** Stops transmitting and closes the port. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#timer);
    await this.#writing;
    const port = this.#port;
    this.#port = undefined;
    await port?.close();
    await this.#reading;
  }

  #tick(): void {
    const now = performance.now();
    if (now - this.#lastCheckMs >= CHECK_MS) {
      this.#lastCheckMs = now;
      this.#check();
    }
    this.#send(this.#options.source.until(now - this.#startMs));
  }

  #send(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const { baudRate } = this.#options;
    this.#transmit(receivedAs(bytes, baudRate, this.#peerBaud ?? baudRate));
  }

  /** Writes bytes already as the peer receives them, or queues them behind a write. */
  #transmit(wire: Uint8Array): void {
    const port = this.#port;
    if (port === undefined) {
      this.stats.lost += wire.length;
      return;
    }
    if (this.#writing !== undefined) {
      if (this.#queuedBytes + wire.length > MAX_QUEUED_BYTES) {
        this.stats.lost += wire.length;
      } else {
        this.#queued.push(wire);
        this.#queuedBytes += wire.length;
      }
      return;
    }
    this.#writing = port.write(wire as Buffer).then(
      () => {
        this.stats.written += wire.length;
      },
      () => {
        this.stats.lost += wire.length;
        this.#drop(port);
      },
    ).finally(() => {
      this.#writing = undefined;
      const queued = concat(this.#queued);
      this.#queued = [];
      this.#queuedBytes = 0;
      if (queued.length > 0 && this.#running) this.#transmit(queued);
    });
  }

  #check(): void {
    const { path, baudRate, source } = this.#options;
    this.#readPeerBaud();
    if (this.#port !== undefined || this.#writing !== undefined) return;
    try {
      this.#port = openPort({ path, baudRate, lock: false });
    } catch {
      // Not there (yet): the pair is unplugged; try again later.
      return;
    }
    if (source.receive !== undefined && this.#reading === undefined) {
      const port = this.#port;
      // A device powered up now never saw what was sent before.
      void port.flush().catch(() => {});
      this.#reading = this.#read(port).finally(() => this.#reading = undefined);
    }
  }

  /** Feeds what the driver writes to the source until the port goes. */
  async #read(port: FdPort): Promise<void> {
    const buffer = Buffer.alloc(4096);
    const { source, baudRate } = this.#options;
    while (this.#running && this.#port === port) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await port.read(buffer, 0, buffer.length));
      } catch {
        this.#drop(port);
        return;
      }
      // The driver may have just set its speed and written at once.
      if (performance.now() - this.#peerReadMs >= RECEIVE_CHECK_MS) {
        this.#readPeerBaud();
      }
      const bytes = receivedAs(
        buffer.subarray(0, bytesRead),
        this.#peerBaud ?? baudRate,
        baudRate,
      );
      this.stats.received += bytes.length;
      const now = performance.now() - this.#startMs;
      source.receive!(bytes.slice(), now);
      this.#send(source.until(now));
    }
  }

  #readPeerBaud(): void {
    const { peer } = this.#options;
    if (peer === undefined) return;
    this.#peerReadMs = performance.now();
    this.#peerBaud = readBaudRate(peer);
  }

  #drop(port: FdPort): void {
    if (this.#port !== port) return;
    this.#port = undefined;
    void port.close();
  }
}
