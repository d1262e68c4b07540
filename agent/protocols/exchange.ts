/**
 * One-request, one-response substreams (info, resources, registries): the
 * responder's 2 s budget and the requester's 5 s timeout (spec wire.md 2.9).
 *
 * @module
 */
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
import {
  encodeFrame,
  FrameError,
  type FrameLimits,
  FrameReader,
} from "../../core/codec/framing.ts";
import { OVER_RELAYS } from "./ids.ts";
import { errorMessage } from "../../core/logging.ts";

/** How long a responder may take to read the request and answer, ms. */
const RESPONDER_TIMEOUT_MS = 2_000;
/** How long a requester waits for the response, ms. */
export const REQUESTER_TIMEOUT_MS = 5_000;

/** A request the responder will not answer: the substream is dropped. */
export class DropRequest extends Error {
  /** Creates the error; `message` says why, for the log. */
  constructor(message: string) {
    super(message);
    this.name = "DropRequest";
  }
}

/** The peer ended the substream without answering. */
export class DroppedRequestError extends Error {
  /** Creates the error for `protocol`; a cluster protocol's message says how to join. */
  constructor(protocol: string) {
    // Authenticated (gen-B) protocols answer by domain and token, not by
    // cluster membership: joining a cluster is no remedy there.
    const hint = protocol.startsWith("/auki/auth/")
      ? ""
      : " (peers in a cluster drop requests from non-members: join with --discovery URL --cluster NAME)";
    super(
      `${protocol}: the peer dropped the request without an answer${hint}`,
    );
    this.name = "DroppedRequestError";
  }
}

/** Who to send a request to: a peer id already known to the node, or an address. */
export type Target = PeerId | Multiaddr | Multiaddr[];

/**
 * Serves one request on `stream`: reads a frame, calls `answer` and writes
 * what it returns, then closes. Malformed frames, {@link DropRequest} and
 * timeouts drop the substream (no generic error frame exists); the reason
 * goes to `onDrop`.
 */
export async function serveRequest(
  stream: Stream,
  limits: FrameLimits,
  answer: (body: Uint8Array) => Promise<Uint8Array> | Uint8Array,
  onDrop: (reason: string) => void,
  timeoutMs = RESPONDER_TIMEOUT_MS,
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const body = await new FrameReader(stream, limits).read(signal);
    if (body === null) throw new DropRequest("no request before end of stream");
    const response = await answer(body);
    signal.throwIfAborted();
    stream.send(encodeFrame(response, limits));
    await stream.close({ signal });
  } catch (error) {
    onDrop(describe(error));
    stream.abort(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Opens `protocol` to `target`, sends one request frame and returns the response body. */
export async function request(
  node: Libp2p,
  target: Target,
  protocol: string,
  body: Uint8Array,
  limits: FrameLimits,
  timeoutMs = REQUESTER_TIMEOUT_MS,
): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(timeoutMs);
  const stream = await node.dialProtocol(target, protocol, {
    signal,
    ...OVER_RELAYS,
  });
  return await exchangeOn(stream, protocol, body, limits, signal, timeoutMs);
}

/**
 * Sends one request frame on an open `stream` and returns the response body
 * (the part of {@link request} after the stream is open).
 */
export async function exchangeOn(
  stream: Stream,
  protocol: string,
  body: Uint8Array,
  limits: FrameLimits,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Uint8Array> {
  const dropped = new DroppedRequestError(protocol);
  try {
    if (stream.status !== "open") throw dropped;
    stream.send(encodeFrame(body, limits));
    const response = await new FrameReader(stream, limits).read(signal);
    if (response === null) throw dropped;
    await stream.close({ signal }).catch(() => {});
    return response;
  } catch (error) {
    const remoteEnded = stream.status === "reset" ||
      stream.remoteWriteStatus === "closed";
    stream.abort(error instanceof Error ? error : new Error(String(error)));
    if (signal.aborted) {
      throw new Error(`${protocol}: no answer within ${timeoutMs} ms`);
    }
    if (remoteEnded && !(error instanceof FrameError)) throw dropped;
    throw error;
  }
}

/** A one-line description of why a request failed. */
export function describe(error: unknown): string {
  if (error instanceof FrameError || error instanceof DropRequest) {
    return error.message;
  }
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return "timed out";
  }
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
}

/** The first issue of a validation error, or the error's message. */
export function brief(error: unknown): string {
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    return `${issue.path.join(".") || "body"}: ${issue.message}`;
  }
  return errorMessage(error);
}
