/**
 * `/auki/join/0.0.1` (spec wire.md 9.1): a joiner sends its dialable
 * multiaddrs to the Manager, which accepts with the membership or rejects.
 * Bodies starting with `{` are the JSON era's, anything else (including an
 * empty body) protobuf; the answer uses the request's encoding.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { z } from "zod";
import { FRAME_CAPS } from "../../core/codec/framing.ts";
import { jsonBytes, parseJsonBytes } from "../../core/codec/json.ts";
import type { WireEncoding } from "../../core/codec/wire_encoding.ts";
import {
  JoinRequestSchema,
  JoinResponseSchema,
} from "../../core/proto/gen/auki/join_pb.ts";
import {
  brief,
  DropRequest,
  request,
  type Target,
} from "../protocols/exchange.ts";
import { JOIN } from "../protocols/ids.ts";

/** Frame limits of the join protocol; the protobuf request may be empty. */
export const JOIN_LIMITS = { maxBytes: FRAME_CAPS.join, allowEmpty: true };

/** How long each side of a join may take, ms. */
export const JOIN_TIMEOUT_MS = 10_000;

/** A decoded join request. */
export interface JoinRequest {
  /** The joiner's dialable addresses. */
  multiaddrs: string[];
  /** The full `Authorization` header value, or empty. */
  authorization: string;
  /** The encoding it came in, to answer in. */
  encoding: WireEncoding;
}

/** The Manager's answer to a join. */
export type JoinAnswer =
  | {
    /** Admitted. */
    kind: "accept";
    /** The membership including the joiner, as JSON text. */
    membershipJson: string;
  }
  | {
    /** Refused. */
    kind: "reject";
    /** Why, e.g. `not the manager`. */
    reason: string;
  };

/**
 * Whether a reject reason is a temporary condition worth retrying: `not the
 * manager` (mid-failover), `already a member` (the old entry is not yet
 * evicted) and the Rust runtime's own failures (`join handler timed out
 * after 10s`, `join handler dropped without replying`, `runtime: …`).
 */
export function isTemporaryReject(reason: string): boolean {
  return reason === "not the manager" || reason === "already a member" ||
    reason.startsWith("join handler timed out") ||
    reason.startsWith("join handler dropped") ||
    reason.startsWith("runtime: ");
}

const JsonRequest = z.object({
  multiaddrs: z.array(z.string()),
  authorization: z.string().optional(),
});

const JsonResponse = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("accept"), membership_json: z.string() }),
  z.object({ kind: z.literal("reject"), reason: z.string() }),
]);

/** Decodes a join request; a malformed one is a {@link DropRequest}. */
export function decodeJoinRequest(body: Uint8Array): JoinRequest {
  if (body[0] === 0x7b) {
    try {
      const parsed = JsonRequest.parse(parseJsonBytes(body));
      return {
        multiaddrs: parsed.multiaddrs,
        authorization: parsed.authorization ?? "",
        encoding: "json",
      };
    } catch (error) {
      throw new DropRequest(`malformed JSON join request: ${brief(error)}`);
    }
  }
  try {
    const parsed = fromBinary(JoinRequestSchema, body);
    return {
      multiaddrs: parsed.multiaddrs,
      authorization: parsed.authorization,
      encoding: "protobuf",
    };
  } catch (error) {
    throw new DropRequest(`malformed protobuf join request: ${brief(error)}`);
  }
}

/** Encodes the answer to a join in the request's encoding. */
export function encodeJoinAnswer(
  answer: JoinAnswer,
  encoding: WireEncoding,
): Uint8Array {
  if (encoding === "json") {
    return jsonBytes(
      answer.kind === "accept"
        ? {
          kind: "accept",
          membership_json: answer.membershipJson,
          successor_token: [],
        }
        : { kind: "reject", reason: answer.reason },
    );
  }
  return toBinary(
    JoinResponseSchema,
    create(JoinResponseSchema, {
      kind: answer.kind === "accept"
        ? { case: "accept", value: { membershipJson: answer.membershipJson } }
        : { case: "reject", value: { reason: answer.reason } },
    }),
  );
}

/** Decodes a join answer of either encoding; throws on anything malformed. */
export function decodeJoinAnswer(body: Uint8Array): JoinAnswer {
  if (body[0] === 0x7b) {
    const parsed = JsonResponse.parse(parseJsonBytes(body));
    return parsed.kind === "accept"
      ? { kind: "accept", membershipJson: parsed.membership_json }
      : parsed;
  }
  const { kind } = fromBinary(JoinResponseSchema, body);
  switch (kind.case) {
    case "accept":
      return { kind: "accept", membershipJson: kind.value.membershipJson };
    case "reject":
      return { kind: "reject", reason: kind.value.reason };
    default:
      throw new Error("join response has neither accept nor reject");
  }
}

/** Asks the Manager at `target` to admit this peer with `multiaddrs`. */
export async function requestJoin(
  node: Libp2p,
  target: Target,
  multiaddrs: string[],
  options: {
    encoding: WireEncoding;
    authorization?: string;
    /** Bound on the exchange, ms (default {@link JOIN_TIMEOUT_MS}). */
    timeoutMs?: number;
  },
): Promise<JoinAnswer> {
  const body = options.encoding === "json"
    ? jsonBytes({
      multiaddrs,
      ...(options.authorization
        ? { authorization: options.authorization }
        : {}),
    })
    : toBinary(
      JoinRequestSchema,
      create(JoinRequestSchema, {
        multiaddrs,
        authorization: options.authorization ?? "",
      }),
    );
  return decodeJoinAnswer(
    await request(
      node,
      target,
      JOIN,
      body,
      JOIN_LIMITS,
      options.timeoutMs ?? JOIN_TIMEOUT_MS,
    ),
  );
}
