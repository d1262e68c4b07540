/**
 * `/auki/leave/0.0.1` (spec wire.md 9.2): a member leaving opens a substream
 * to the Manager and writes one empty frame (an empty protobuf message,
 * `00000000`); no answer. The Rust runtime registers no handler for it, so
 * a member sends it where the Manager supports it and otherwise leaves by
 * closing.
 *
 * @module
 */
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import {
  encodeFrame,
  FRAME_CAPS,
  FrameReader,
} from "../../core/codec/framing.ts";
import { LEAVE, OVER_RELAYS } from "../protocols/ids.ts";

/** Frame limits of the leave protocol: the request is empty. */
export const LEAVE_LIMITS = { maxBytes: FRAME_CAPS.leave, allowEmpty: true };

/** How long sending or reading a leave may take, ms. */
export const LEAVE_TIMEOUT_MS = 1_000;

/** Tells the Manager `manager` that this peer leaves; throws when it does not take it. */
export async function sendLeave(node: Libp2p, manager: PeerId): Promise<void> {
  const signal = AbortSignal.timeout(LEAVE_TIMEOUT_MS);
  const stream = await node.dialProtocol(manager, LEAVE, {
    signal,
    ...OVER_RELAYS,
  });
  try {
    stream.send(encodeFrame(new Uint8Array(0), LEAVE_LIMITS));
    await stream.close({ signal });
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/** Reads the one frame of an inbound leave substream; throws on anything else. */
export async function readLeave(stream: Stream): Promise<void> {
  const body = await new FrameReader(stream, LEAVE_LIMITS).read(
    AbortSignal.timeout(LEAVE_TIMEOUT_MS),
  );
  if (body === null) throw new Error("leave stream ended without a frame");
}
