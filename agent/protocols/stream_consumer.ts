/**
 * The consumer side of `/auki/stream/0.2.0` (spec wire.md 7.3): send one
 * request, expect `accept` or `decline`, then read entries until
 * `end_of_stream` or the end of the substream.
 *
 * @module
 */
import type { Libp2p, Stream } from "@libp2p/interface";
import { encodeFrame, FrameReader } from "../../core/codec/framing.ts";
import type { ReadFrom } from "../logs/log.ts";
import type {
  DeclineReason,
  EndReason,
  StreamManifest,
} from "../../core/proto/gen/auki/stream_pb.ts";
import { DroppedRequestError, type Target } from "./exchange.ts";
import { OVER_RELAYS, STREAM } from "./ids.ts";
import {
  decodeStreamMessage,
  encodeStreamMessage,
  requestReadFrom,
  snakeCase,
  STREAM_LIMITS,
} from "./stream_messages.ts";

/** How long to wait for the accept or decline after opening, ms. */
const OPEN_TIMEOUT_MS = 30_000;

/** What to subscribe to. */
export interface SubscribeRequest {
  /** The catalog row's `resource_id`. */
  resourceId: string;
  /**
   * The log's source peer; by default the serving peer's id (strict Rust
   * providers decline an empty one).
   */
  sourcePeerId?: string;
  /** Where to start (default: latest). */
  from?: ReadFrom;
}

/** One received entry. */
export interface ReceivedEntry {
  /** Timestamp on the manifest's clock, ns. */
  timestampNs: bigint;
  /** Per-subscription sequence number, from 0. */
  seq: bigint;
  /** The encoded payload message. */
  payload: Uint8Array;
}

/** How a subscription ended. */
export type SubscriptionEnd =
  | {
    /** The producer sent `end_of_stream`. */
    kind: NonNullable<EndReason["kind"]["case"]>;
    /** `producer_error` detail, else empty. */
    detail: string;
  }
  | {
    /** The substream closed or reset without `end_of_stream`. */
    kind: "connectionLost";
    /** What the transport reported. */
    detail: string;
  }
  | {
    /** This side closed the subscription. */
    kind: "closed";
    /** Empty. */
    detail: string;
  };

/** The producer declined the subscription. */
export class StreamDeclinedError extends Error {
  /** Creates the error for a decline reason. */
  constructor(
    readonly reason: NonNullable<DeclineReason["kind"]["case"]> | "unknown",
    readonly detail = "",
  ) {
    super(`declined with ${snakeCase(reason)}${detail ? ` (${detail})` : ""}`);
    this.name = "StreamDeclinedError";
  }
}

/** The producer broke the protocol (bad frame, message out of order). */
class StreamProtocolError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "StreamProtocolError";
  }
}

/** An accepted subscription. */
export class Subscription {
  /** The producer's accept. */
  readonly manifest: StreamManifest;
  readonly #stream: Stream;
  readonly #reader: FrameReader;
  #end: SubscriptionEnd | undefined;
  #nextSeq = 0n;
  #gaps = 0n;

  private constructor(
    stream: Stream,
    reader: FrameReader,
    manifest: StreamManifest,
  ) {
    this.#stream = stream;
    this.#reader = reader;
    this.manifest = manifest;
  }

  /**
   * Opens a subscription. Throws {@link StreamDeclinedError} on a decline
   * and {@link StreamProtocolError} on anything but an accept.
   */
  static async open(
    node: Libp2p,
    target: Target,
    request: SubscribeRequest,
    options: {
      signal?: AbortSignal;
      timeoutMs?: number;
      /** Opens the stream instead of dialing `/auki/stream/0.2.0` (gen B). */
      openStream?: (signal: AbortSignal) => Promise<Stream>;
    } = {},
  ): Promise<Subscription> {
    const signal = AbortSignal.any([
      AbortSignal.timeout(options.timeoutMs ?? OPEN_TIMEOUT_MS),
      ...(options.signal ? [options.signal] : []),
    ]);
    // A gen-B stream is opened first: through a relay, it admits the
    // dialer before the circuit is dialed; the dial then reuses it.
    const opened = options.openStream && await options.openStream(signal);
    const connection = await node.dial(target, { signal }).catch((error) => {
      opened?.abort(error);
      throw error;
    });
    const stream = opened ??
      await connection.newStream(STREAM, { signal, ...OVER_RELAYS });
    const reader = new FrameReader(stream, STREAM_LIMITS);
    try {
      if (stream.status !== "open") {
        throw new DroppedRequestError(stream.protocol ?? STREAM);
      }
      stream.send(encodeFrame(
        encodeStreamMessage({
          variant: {
            case: "request",
            value: {
              resourceId: request.resourceId,
              sourcePeerId: request.sourcePeerId ??
                connection.remotePeer.toString(),
              readFrom: requestReadFrom(request.from ?? { kind: "latest" }),
            },
          },
        }),
        STREAM_LIMITS,
      ));
      const body = await reader.read(signal);
      if (body === null) {
        throw new DroppedRequestError(stream.protocol ?? STREAM);
      }
      const message = decodeStreamMessage(body);
      switch (message.variant.case) {
        case "accept":
          return new Subscription(stream, reader, message.variant.value);
        case "decline": {
          const kind = message.variant.value.kind;
          await stream.close().catch(() => {});
          throw new StreamDeclinedError(
            kind.case ?? "unknown",
            kind.case === "other" ? kind.value.detail : "",
          );
        }
        default:
          throw new StreamProtocolError(
            `expected accept or decline, got ${
              message.variant.case ?? "no variant"
            }`,
          );
      }
    } catch (error) {
      const remoteEnded = stream.status === "reset";
      if (stream.status === "open") {
        stream.abort(error instanceof Error ? error : new Error(String(error)));
      }
      if (remoteEnded && !(error instanceof StreamDeclinedError)) {
        throw new DroppedRequestError(stream.protocol ?? STREAM);
      }
      throw error;
    }
  }

  /** How the subscription ended; `undefined` while it runs. */
  get end(): SubscriptionEnd | undefined {
    return this.#end;
  }

  /** Entries missing from the `seq` sequence so far. */
  get gaps(): bigint {
    return this.#gaps;
  }

  /**
   * Reads entries until the subscription ends ({@link end} says how).
   * Throws {@link StreamProtocolError} when the producer breaks the protocol.
   */
  async *entries(signal?: AbortSignal): AsyncGenerator<ReceivedEntry> {
    while (this.#end === undefined) {
      let body: Uint8Array | null;
      try {
        body = await this.#reader.read(signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        // A close() from this side during the read is not a lost connection.
        this.#end ??= { kind: "connectionLost", detail: String(error) };
        return;
      }
      if (body === null) {
        this.#end = {
          kind: "connectionLost",
          detail: "the stream ended without end_of_stream",
        };
        return;
      }
      const message = decodeStreamMessage(body);
      switch (message.variant.case) {
        case "entry": {
          const { timestampNs, seq, payload } = message.variant.value;
          if (seq !== this.#nextSeq) this.#gaps += seq - this.#nextSeq;
          this.#nextSeq = seq + 1n;
          yield { timestampNs, seq, payload };
          break;
        }
        case "endOfStream": {
          const kind = message.variant.value.kind;
          this.#end = {
            kind: kind.case ?? "sourceEnded",
            detail: kind.case === "producerError" ? kind.value.detail : "",
          };
          await this.#stream.close().catch(() => {});
          return;
        }
        default:
          this.close();
          throw new StreamProtocolError(
            `unexpected ${
              message.variant.case ?? "empty message"
            } after accept`,
          );
      }
    }
  }

  /** Ends the subscription from this side by resetting the substream. */
  close(): void {
    this.#end ??= { kind: "closed", detail: "" };
    if (this.#stream.status === "open") {
      this.#stream.abort(new Error("subscription closed by the consumer"));
    }
  }
}
