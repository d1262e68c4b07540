/**
 * The per-stream mutual authentication of every `/auki/auth/1/...` protocol
 * (spec genb.md 1.3): both sides write their token frame, read the peer's,
 * verify it, exchange one status byte (`01` accept, `00` reject), and check
 * both tokens' literal `exp` once more. Each of the four I/O phases has its
 * own 10 s timeout. Symmetric: the dialer and the listener run the same code.
 *
 * @module
 */
import type { Stream } from "@libp2p/interface";
import { encodeFrame, waitForDrain } from "../../core/codec/framing.ts";
import { errorMessage } from "../../core/logging.ts";
import { StreamBytes } from "./stream_bytes.ts";
import type { TokenClaims } from "./token.ts";

/** Largest token frame body, bytes. */
export const MAX_TOKEN_BYTES = 64 * 1024;
/** Timeout of each handshake I/O phase, ms. */
export const PHASE_TIMEOUT_MS = 10_000;
/** Status byte: the peer's token is accepted. */
export const ACCEPT = 0x01;
/** Status byte: the peer's token is refused. */
export const REJECT = 0x00;

const TOKEN_LIMITS = { maxBytes: MAX_TOKEN_BYTES, allowEmpty: true };
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The token frame of `token`: u32 big-endian length, then the ASCII token. */
export function tokenFrame(token: string): Uint8Array {
  return encodeFrame(encoder.encode(token), TOKEN_LIMITS);
}

/** A peer that passed the handshake. */
export interface AuthenticatedPeer {
  /** Its peer id (the Noise one, which its token names). */
  peerId: string;
  /** Its token's claims (subject, peer type, expiry). */
  claims: TokenClaims;
}

/** What one side brings to the handshake. */
export interface HandshakeParty {
  /** This peer's current token; `""` when it has none (the peer will refuse). */
  localToken(): string;
  /** This peer's token's `exp`, seconds; undefined without a token. */
  localExpiry(): number | undefined;
  /** Verifies the peer's token bound to `peerId`; throws why not. */
  verifyPeer(token: string, peerId: string): Promise<TokenClaims>;
  /** Now, seconds since the epoch (the literal `exp` checks). */
  nowS(): number;
}

/**
 * Why a handshake failed. `sentReject` says this side wrote `00` (its peer
 * was refused); otherwise the stream was reset or the peer refused us.
 */
export class HandshakeError extends Error {
  /** Creates the error; `reason` is one word for logs and tests. */
  constructor(
    readonly reason: string,
    message: string,
    readonly sentReject = false,
  ) {
    super(message);
    this.name = "HandshakeError";
  }
}

async function phase<T>(
  name: string,
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await run(signal);
  } catch (error) {
    if (error instanceof HandshakeError) throw error;
    if (signal.aborted) {
      throw new HandshakeError(
        "timeout",
        `${name}: no progress within ${timeoutMs} ms`,
      );
    }
    throw new HandshakeError("io", `${name}: ${errorMessage(error)}`);
  }
}

async function write(
  stream: Stream,
  bytes: Uint8Array,
  signal: AbortSignal,
): Promise<void> {
  if (!stream.send(bytes)) await waitForDrain(stream, signal);
}

async function readTokenFrame(
  reader: StreamBytes,
  signal: AbortSignal,
): Promise<string> {
  const head = await reader.read(4, signal);
  if (head === null) {
    throw new HandshakeError("eof", "the peer sent no token frame");
  }
  const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
  if (length > MAX_TOKEN_BYTES) {
    throw new HandshakeError(
      "too_large",
      `token frame of ${length} bytes exceeds ${MAX_TOKEN_BYTES}`,
    );
  }
  const body = await reader.read(length, signal);
  if (body === null) {
    throw new HandshakeError("eof", "the stream ended inside the token frame");
  }
  try {
    return decoder.decode(body);
  } catch {
    return "\ufffd"; // not UTF-8: refused as a malformed token
  }
}

/**
 * Runs the handshake on a freshly negotiated stream with `remotePeer` (the
 * connection's Noise peer id). Resolves with the authenticated peer; the
 * stream then belongs to the protocol's codec. On failure it writes the
 * reject byte where the handshake reached the status phase, ends the stream
 * (reset on I/O errors) and throws {@link HandshakeError}.
 */
export async function authenticateStream(
  stream: Stream,
  remotePeer: string,
  party: HandshakeParty,
  timeoutMs: number = PHASE_TIMEOUT_MS,
): Promise<AuthenticatedPeer> {
  const reader = new StreamBytes(stream);
  try {
    const ownToken = party.localToken();
    await phase(
      "writing the token frame",
      timeoutMs,
      (signal) => write(stream, tokenFrame(ownToken), signal),
    );
    const peerToken = await phase(
      "reading the peer's token frame",
      timeoutMs,
      (signal) => readTokenFrame(reader, signal),
    );
    let claims: TokenClaims | undefined;
    let refusal: HandshakeError | undefined;
    try {
      claims = await party.verifyPeer(peerToken, remotePeer);
      if (!ownCurrent(party)) {
        refusal = new HandshakeError(
          "local_expired",
          "this peer's own token is missing or expired",
          true,
        );
      }
    } catch (error) {
      refusal = new HandshakeError(
        (error as { reason?: string }).reason ?? "invalid",
        `peer token refused: ${errorMessage(error)}`,
        true,
      );
    }
    await phase(
      "writing the status byte",
      timeoutMs,
      (signal) =>
        write(stream, Uint8Array.of(refusal ? REJECT : ACCEPT), signal),
    );
    if (refusal !== undefined) {
      await stream.close({ signal: AbortSignal.timeout(timeoutMs) }).catch(
        () => stream.abort(refusal!),
      );
      throw refusal;
    }
    const status = await phase(
      "reading the peer's status byte",
      timeoutMs,
      (signal) => reader.read(1, signal),
    );
    if (status === null) {
      throw new HandshakeError("eof", "the peer sent no status byte");
    }
    if (status[0] !== ACCEPT) {
      throw new HandshakeError("refused", "the peer refused this peer's token");
    }
    if (!ownCurrent(party) || !(claims!.exp > party.nowS())) {
      throw new HandshakeError(
        "expired",
        "a token expired during the handshake",
      );
    }
    reader.release();
    return { peerId: remotePeer, claims: claims! };
  } catch (error) {
    reader.release();
    const failure = error instanceof HandshakeError
      ? error
      : new HandshakeError("io", errorMessage(error));
    if (!failure.sentReject) stream.abort(failure);
    throw failure;
  }
}

function ownCurrent(party: HandshakeParty): boolean {
  const exp = party.localExpiry();
  return exp !== undefined && exp > party.nowS();
}
