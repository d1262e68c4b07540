/**
 * `/auki/membership/0.0.1` (spec wire.md 9.3): the Manager opens a substream
 * to a member, writes one frame `{"manager_peer_id","membership_json"}` and
 * closes. Fire and forget. Older Rust Managers send `membership_json` alone.
 *
 * @module
 */
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import { z } from "zod";
import {
  encodeFrame,
  FRAME_CAPS,
  FrameReader,
} from "../../core/codec/framing.ts";
import { jsonBytes, parseJsonBytes } from "../../core/codec/json.ts";
import { MEMBERSHIP, OVER_RELAYS } from "../protocols/ids.ts";
import { type ClusterMembership, parseMembership } from "./membership.ts";

/** Frame limits of the membership protocol. */
export const MEMBERSHIP_LIMITS = { maxBytes: FRAME_CAPS.membership };

const SEND_TIMEOUT_MS = 5_000;

const Update = z.object({
  manager_peer_id: z.string().optional(),
  membership_json: z.string(),
});

/** A membership update as received. */
export interface MembershipUpdate {
  /** Who the sender says the Manager is; `undefined` from older Rust Managers. */
  managerPeerId: string | undefined;
  /** The new membership. */
  membership: ClusterMembership;
}

/** Sends one membership update to `peer` over a new substream. */
export async function sendMembership(
  node: Libp2p,
  peer: PeerId,
  managerPeerId: string,
  membershipJson: string,
): Promise<void> {
  const signal = AbortSignal.timeout(SEND_TIMEOUT_MS);
  const stream = await node.dialProtocol(peer, MEMBERSHIP, {
    signal,
    ...OVER_RELAYS,
  });
  try {
    stream.send(encodeFrame(
      jsonBytes({
        manager_peer_id: managerPeerId,
        membership_json: membershipJson,
      }),
      MEMBERSHIP_LIMITS,
    ));
    await stream.close({ signal });
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

/** Reads the one update of an inbound membership substream; throws on anything malformed. */
export async function readMembership(
  stream: Stream,
): Promise<MembershipUpdate> {
  const body = await new FrameReader(stream, MEMBERSHIP_LIMITS).read(
    AbortSignal.timeout(SEND_TIMEOUT_MS),
  );
  if (body === null) {
    throw new Error("membership stream ended without an update");
  }
  const update = Update.parse(parseJsonBytes(body));
  return {
    managerPeerId: update.manager_peer_id,
    membership: parseMembership(update.membership_json),
  };
}
