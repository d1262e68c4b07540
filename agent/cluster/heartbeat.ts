/**
 * `/auki/heartbeat/0.0.1` (spec wire.md 9.4, cluster.md 4): one long-lived
 * substream per Manager–member pair on which both sides write a JSON frame
 * every 500 ms. Each frame echoes the last frame received, which gives
 * NTP-style clock offset samples.
 *
 * @module
 */
import type { Stream } from "@libp2p/interface";
import { z } from "zod";
import {
  encodeFrame,
  FRAME_CAPS,
  FrameReader,
} from "../../core/codec/framing.ts";
import { jsonBytes, parseJsonBytes } from "../../core/codec/json.ts";
import { type Logger, rateLimited } from "../../core/logging.ts";
import { brief } from "../protocols/exchange.ts";
import { I64 } from "./discovery_types.ts";
import {
  type DomainClock,
  DomainClock as DomainClockSchema,
} from "./domain_clock.ts";

/** Frame limits of the heartbeat protocol. */
export const HEARTBEAT_LIMITS = { maxBytes: FRAME_CAPS.heartbeat };
/** How often each side writes a frame, ms. */
export const HEARTBEAT_INTERVAL_MS = 500;
/** Silence after which a peer is lost, ms. */
export const HEARTBEAT_TIMEOUT_MS = 1_500;

const SENT_REMEMBERED = 64;

/** One heartbeat frame; older builds send only `sent_at_unix_ns`. */
export const HeartbeatFrame = z.object({
  sent_at_unix_ns: I64,
  clock_id: z.string().optional(),
  clock_hash: z.string().optional(),
  sequence: I64.optional(),
  sent_at_clock_ns: I64.optional(),
  echo: z.object({ sequence: I64, received_at_clock_ns: I64 }).optional(),
  domain_clock: DomainClockSchema.optional(),
});
/** One heartbeat frame. */
export type HeartbeatFrame = z.output<typeof HeartbeatFrame>;

/** An offset sample of the peer's clock against ours, from one echo. */
export interface OffsetSample {
  /** Peer clock minus our clock, ns. */
  offsetNs: bigint;
  /** Round-trip time minus the peer's hold time, ns. */
  delayNs: bigint;
  /** Our clock when the sample was taken. */
  atNs: bigint;
}

/** What a heartbeat link needs from its owner. */
export interface HeartbeatOptions {
  /** Our session clock: id, hash and reader. */
  clock: { id: string; hash: string; now(): bigint };
  /** Our UTC clock in ns. */
  utcNow(): bigint;
  /** The domain clock to declare, when this side is the Manager. */
  domainClock(): DomainClock | undefined;
  /** Called with every valid frame received. */
  onFrame(frame: HeartbeatFrame): void;
  /** Called with every offset sample. */
  onSample(sample: OffsetSample): void;
  /**
   * Called once when the link ends (the stream closed or broke); `clean`
   * when the peer closed the stream itself, as a member leaving does.
   */
  onClose(reason: string, clean: boolean): void;
  /** Where malformed frames are reported (at most one line per 10 s per link). */
  logger: Logger;
  /** The peer, named in those lines. */
  peer?: string;
}

/** One side of a heartbeat substream. */
export class HeartbeatLink {
  readonly #stream: Stream;
  readonly #options: HeartbeatOptions;
  readonly #sent = new Map<bigint, bigint>();
  #sequence = 0n;
  #lastReceived: { sequence: bigint; atNs: bigint } | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  readonly #malformed: (message: string) => void;

  /** Wraps `stream`; call {@link start} to begin writing and reading. */
  constructor(stream: Stream, options: HeartbeatOptions) {
    this.#stream = stream;
    this.#options = options;
    this.#malformed = rateLimited(10_000, (m) => options.logger.warn(m));
  }

  /** Writes a frame now and every 500 ms, and reads the peer's frames. */
  start(): void {
    this.#write();
    this.#timer = setInterval(() => this.#write(), HEARTBEAT_INTERVAL_MS);
    this.#read().then(
      () => this.#end("the peer closed the heartbeat stream", true),
      (error) => this.#end(`heartbeat stream failed: ${error}`, false),
    );
  }

  #write(): void {
    if (this.#closed) return;
    const { clock } = this.#options;
    const sequence = ++this.#sequence;
    const sentAt = clock.now();
    this.#sent.set(sequence, sentAt);
    this.#sent.delete(sequence - BigInt(SENT_REMEMBERED));
    const domainClock = this.#options.domainClock();
    const frame = {
      sent_at_unix_ns: this.#options.utcNow(),
      clock_id: clock.id,
      clock_hash: clock.hash,
      sequence,
      sent_at_clock_ns: sentAt,
      ...(this.#lastReceived
        ? {
          echo: {
            sequence: this.#lastReceived.sequence,
            received_at_clock_ns: this.#lastReceived.atNs,
          },
        }
        : {}),
      ...(domainClock ? { domain_clock: domainClock } : {}),
    };
    try {
      this.#stream.send(encodeFrame(jsonBytes(frame), HEARTBEAT_LIMITS));
    } catch (error) {
      this.close(`cannot write a heartbeat: ${error}`);
    }
  }

  async #read(): Promise<void> {
    const reader = new FrameReader(this.#stream, HEARTBEAT_LIMITS);
    for (;;) {
      const body = await reader.read();
      if (body === null) return;
      const receivedAt = this.#options.clock.now();
      let parsed;
      try {
        parsed = HeartbeatFrame.parse(parseJsonBytes(body));
      } catch (error) {
        const peer = this.#options.peer;
        this.#malformed(
          `dropped a malformed heartbeat frame${peer ? ` from ${peer}` : ""}: ${
            brief(error)
          }`,
        );
        continue;
      }
      const frame = parsed;
      if (frame.sequence !== undefined) {
        this.#lastReceived = { sequence: frame.sequence, atNs: receivedAt };
      }
      const sample = this.#sample(frame, receivedAt);
      this.#options.onFrame(frame);
      if (sample !== undefined) this.#options.onSample(sample);
    }
  }

  #sample(frame: HeartbeatFrame, t4: bigint): OffsetSample | undefined {
    if (frame.echo === undefined || frame.sent_at_clock_ns === undefined) {
      return undefined;
    }
    const t1 = this.#sent.get(frame.echo.sequence);
    if (t1 === undefined) return undefined;
    const t2 = frame.echo.received_at_clock_ns;
    const t3 = frame.sent_at_clock_ns;
    const delayNs = (t4 - t1) - (t3 - t2);
    if (delayNs < 0n) return undefined;
    return { offsetNs: ((t2 - t1) + (t3 - t4)) / 2n, delayNs, atNs: t4 };
  }

  /** Stops writing and closes the stream (idempotent). */
  close(reason: string): void {
    this.#end(reason, false);
  }

  #end(reason: string, clean: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#stream.status === "open") {
      this.#stream.abort(new Error(reason));
    }
    this.#options.onClose(reason, clean);
  }
}
