/**
 * The producer side of `/auki/stream/0.2.0` (spec wire.md 7.3, 7.4).
 *
 * Every subscription is a cursor over the resource's recorded log, so the
 * sensor never waits for a subscriber and a slow subscriber never holds
 * memory: it reads from the in-memory cache while it keeps up and from disk
 * when it falls behind. A subscriber that falls behind retention (the entries
 * it needs were deleted) is ended with `producer_error`.
 *
 * @module
 */
import type { Connection, Stream } from "@libp2p/interface";
import {
  encodeFrame,
  FrameReader,
  waitForDrain,
  writeFrame,
} from "../../core/codec/framing.ts";
import type { Catalog } from "../catalog/catalog.ts";
import type { LogResource } from "../catalog/log_resource.ts";
import type { OfflineReason } from "../../drivers/driver.ts";
import { type LogCursor, LogEvictedError } from "../logs/cursor.ts";
import type { Logger } from "../../core/logging.ts";
import { rateLimitedByKey } from "../../core/keyed_rate_limit.ts";
import { truncated } from "../../core/log_text.ts";
import { wireTypeMismatch } from "../../core/codec/wire_types.ts";
import {
  type EndReason,
  StreamMessageSchema,
} from "../../core/proto/gen/auki/stream_pb.ts";
import { type ResourceTraffic, StreamTraffic } from "../observe/traffic.ts";
import { describe } from "./exchange.ts";
import { STREAM } from "./ids.ts";
import {
  handleGated,
  type Service,
  type ServiceComponents,
} from "./service.ts";
import {
  decodeStreamMessage,
  encodeStreamMessage,
  entryFrameHead,
  readFromOfRequest,
  snakeCase,
  STREAM_LIMITS,
} from "./stream_messages.ts";

/** Payloads up to this size are copied behind their frame head and sent in one write. */
const SMALL_PAYLOAD_BYTES = 64 * 1024;

/** How long a consumer has to send its request after opening, ms. */
const REQUEST_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 5_000;

type EndKind = NonNullable<EndReason["kind"]["case"]>;

/** The producer ends the subscription with this end reason. */
class Ended extends Error {
  constructor(readonly end: EndKind, readonly detail = "") {
    super(end);
  }
}

/** The consumer closed or reset the substream. */
class ConsumerGone extends Error {
  constructor() {
    super("the consumer closed the stream");
  }
}

/** Inbound subscriptions served at once. */
const MAX_SUBSCRIPTIONS = 64;

/** Serves subscriptions to the catalog's resources: the stream service. */
export class StreamProducer implements Service {
  readonly #catalog: Catalog;
  readonly #components: ServiceComponents;
  readonly #logger: Logger;
  readonly #shutdown = new AbortController();
  readonly #active = new Set<Promise<void>>();
  /** Subscriptions and bytes sent per resource. */
  readonly traffic: StreamTraffic = new StreamTraffic();

  /** Lines about one peer's declined requests, rate-limited per peer. */
  readonly #declined: (peer: string, message: string) => void;
  /** Lines about one peer's dropped streams, rate-limited per peer. */
  readonly #dropped: (peer: string, message: string) => void;

  /** A producer serving `init.catalog`; {@link start} registers it. */
  constructor(init: { catalog: Catalog }, components: ServiceComponents) {
    this.#catalog = init.catalog;
    this.#components = components;
    this.#logger = components.logger;
    this.#declined = rateLimitedByKey(10_000, (m) => this.#logger.info(m));
    this.#dropped = rateLimitedByKey(10_000, (m) => this.#logger.warn(m));
  }

  /** Registers the stream protocol handler behind the gate. */
  async start(): Promise<void> {
    await handleGated(
      this.#components,
      STREAM,
      this.#handler,
      MAX_SUBSCRIPTIONS,
    );
  }

  /**
   * The subscription handler, for services that serve it under another id
   * (the authenticated stream protocol runs it after its handshake).
   */
  get handler(): (stream: Stream, connection: Connection) => void {
    return this.#handler;
  }

  /** Number of subscriptions being served. */
  get activeSubscriptions(): number {
    return this.#active.size;
  }

  readonly #handler = (stream: Stream, connection: Connection): void => {
    const task = this.#serve(stream, connection.remotePeer.toString())
      .catch((error) =>
        this.#logger.warn(
          `subscription failed: ${truncated(describe(error), 400)}`,
        )
      );
    this.#active.add(task);
    task.finally(() => this.#active.delete(task));
  };

  /**
   * Ends every subscription with `producer_shutting_down`, waits for them
   * and removes the handler.
   */
  async stop(): Promise<void> {
    this.#shutdown.abort(new Ended("producerShuttingDown"));
    await Promise.allSettled([...this.#active]);
    await this.#components.node.unhandle(STREAM);
  }

  async #serve(stream: Stream, peer: string): Promise<void> {
    const stop = new AbortController();
    const onClose = () => stop.abort(new ConsumerGone());
    stream.addEventListener("close", onClose);
    const onShutdown = () => stop.abort(this.#shutdown.signal.reason);
    this.#shutdown.signal.addEventListener("abort", onShutdown);
    let unsubscribe: (() => void) | undefined;
    let cursor: LogCursor | undefined;
    let traffic: ResourceTraffic | undefined;
    let requested = false;
    try {
      const request = await readRequest(stream, stop.signal);
      requested = true;
      const resource = this.#catalog.lookup(
        request.resourceId,
        request.sourcePeerId,
      );
      const decline = this.#shutdown.signal.aborted
        ? "producerShuttingDown"
        : resource === undefined
        ? "sensorNotFound"
        : !resource.online
        ? "sensorUnavailable"
        : undefined;
      if (decline !== undefined || resource === undefined) {
        this.#declined(
          `${peer} ${decline}`,
          `${peer} asked for "${truncated(request.resourceId)}" (source "${
            truncated(request.sourcePeerId)
          }"): declined with ${snakeCase(decline!)}`,
        );
        stream.send(encodeFrame(
          encodeStreamMessage({
            variant: {
              case: "decline",
              value: { kind: { case: decline!, value: {} } },
            },
          }),
          STREAM_LIMITS,
        ));
        await closeGently(stream);
        return;
      }
      unsubscribe = resource.onOffline((reason: OfflineReason) =>
        stop.abort(
          reason === "source_ended"
            ? new Ended("sourceEnded")
            : new Ended("producerError", `sensor "${resource.id}" failed`),
        )
      );
      const from = readFromOfRequest(request.readFrom);
      cursor = await resource.log.cursor(from);
      await writeFrame(
        stream,
        encodeStreamMessage({
          variant: { case: "accept", value: resource.streamManifest() },
        }),
        STREAM_LIMITS,
        stop.signal,
      );
      this.#logger.info(
        `${peer} subscribed to "${resource.id}" from ${from.kind}`,
      );
      traffic = this.traffic.of(resource.id);
      traffic.subscribers++;
      const { outcome, sent } = await pump(
        stream,
        resource,
        cursor,
        traffic,
        stop.signal,
      );
      if (outcome instanceof Ended) {
        await this.#end(stream, `${peer} on "${resource.id}"`, outcome, sent);
      } else {
        this.#logger.info(
          `${peer} closed its subscription to "${resource.id}" after ${sent} entries`,
        );
      }
    } catch (error) {
      const reason = stop.signal.aborted ? stop.signal.reason : error;
      if (reason instanceof Ended) {
        await this.#end(stream, peer, reason, 0);
      } else if (!(reason instanceof ConsumerGone)) {
        this.#dropped(
          `${peer} ${describe(error).slice(0, 40)}`,
          `dropped a stream from ${peer}: ${truncated(describe(error), 400)}`,
        );
        stream.abort(toError(error));
      } else {
        this.#dropped(
          peer,
          `dropped a stream from ${peer}: it went away ${
            requested
              ? "before the accept"
              : "before sending a complete request"
          }`,
        );
      }
    } finally {
      unsubscribe?.();
      cursor?.close();
      if (traffic !== undefined) traffic.subscribers--;
      stream.removeEventListener("close", onClose);
      this.#shutdown.signal.removeEventListener("abort", onShutdown);
    }
  }

  async #end(
    stream: Stream,
    who: string,
    reason: Ended,
    sent: number,
  ): Promise<void> {
    this.#logger.info(
      `subscription of ${who} ended with ${snakeCase(reason.end)}${
        reason.detail ? ` (${reason.detail})` : ""
      } after ${sent} entries`,
    );
    if (stream.status !== "open" || stream.writeStatus !== "writable") return;
    try {
      stream.send(encodeFrame(
        encodeStreamMessage({
          variant: {
            case: "endOfStream",
            value: {
              kind: reason.end === "producerError"
                ? { case: "producerError", value: { detail: reason.detail } }
                : { case: reason.end, value: {} },
            },
          },
        }),
        STREAM_LIMITS,
      ));
      await closeGently(stream);
    } catch (error) {
      stream.abort(toError(error));
    }
  }
}

async function readRequest(stream: Stream, signal: AbortSignal) {
  const body = await new FrameReader(stream, STREAM_LIMITS).read(
    AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
  );
  if (body === null) throw new Error("the stream ended before a request");
  const mismatch = wireTypeMismatch(StreamMessageSchema, body);
  if (mismatch !== undefined) throw new Error(`malformed request: ${mismatch}`);
  const message = decodeStreamMessage(body);
  if (message.variant.case !== "request") {
    throw new Error(
      `expected a request, got ${message.variant.case ?? "no variant"}`,
    );
  }
  return message.variant.value;
}

/**
 * Sends entries from the cursor until the subscription ends: returns why
 * (an {@link Ended} to report, or {@link ConsumerGone}) and how many were sent.
 */
async function pump(
  stream: Stream,
  resource: LogResource,
  cursor: LogCursor,
  traffic: ResourceTraffic,
  signal: AbortSignal,
): Promise<{ outcome: Ended | ConsumerGone; sent: number }> {
  let seq = 0n;
  let sent = 0;
  try {
    for (;;) {
      const entry = await cursor.next(signal);
      if (entry === null) {
        return { outcome: new Ended("producerShuttingDown"), sent };
      }
      const { payload } = entry;
      const head = entryFrameHead(entry.timestampNs, seq, payload.byteLength);
      let writable: boolean;
      if (payload.byteLength <= SMALL_PAYLOAD_BYTES) {
        // One write: one yamux frame, one noise message, one syscall.
        const frame = new Uint8Array(head.byteLength + payload.byteLength);
        frame.set(head);
        frame.set(payload, head.byteLength);
        writable = stream.send(frame);
      } else {
        // The head, then the payload itself: no copy of large payloads.
        stream.send(head);
        writable = stream.send(payload);
      }
      if (!writable) await waitForDrain(stream, signal);
      seq = (seq + 1n) & 0xffff_ffff_ffff_ffffn;
      sent++;
      traffic.bytesSent += head.byteLength + payload.byteLength;
    }
  } catch (error) {
    if (error instanceof LogEvictedError) {
      const detail =
        `subscriber fell behind the retention of "${resource.id}": ${error.message}`;
      return { outcome: new Ended("producerError", detail), sent };
    }
    if (signal.aborted) {
      const reason = signal.reason;
      if (reason instanceof Ended || reason instanceof ConsumerGone) {
        return { outcome: reason, sent };
      }
    }
    if (stream.status !== "open") return { outcome: new ConsumerGone(), sent };
    throw error;
  }
}

async function closeGently(stream: Stream): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) });
  } catch (error) {
    stream.abort(toError(error));
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
