/**
 * `/auki/info/0.0.1`: ParticipantInfo (spec wire.md section 4). Requests
 * starting with `{` are JSON and get a JSON answer; anything else, including
 * the empty body, is a protobuf `InfoRequest` and gets an `InfoResponse`.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { z } from "zod";
import { FRAME_CAPS } from "../../core/codec/framing.ts";
import type { WireEncoding } from "../../core/codec/wire_encoding.ts";
import {
  jsonBytes,
  parseJson,
  parseJsonBytes,
  stringifyJson,
} from "../../core/codec/json.ts";
import {
  InfoRequestSchema,
  InfoResponseSchema,
} from "../../core/proto/gen/auki/info_pb.ts";
import { Int64 } from "../catalog/resource_entry.ts";
import { DropRequest, request, type Target } from "./exchange.ts";
import { INFO } from "./ids.ts";
import {
  requestService,
  type Service,
  type ServiceComponents,
} from "./service.ts";

/** Frame limits of the info protocol; the protobuf request may be empty. */
export const INFO_LIMITS = { maxBytes: FRAME_CAPS.info, allowEmpty: true };

/** ParticipantInfo: 11 fields, all always written (spec wire.md 4.2). */
export interface ParticipantInfo {
  /** Application name. */
  app: string;
  /** Participant or daemon name. */
  name: string;
  /** This run's session id. */
  session_id: string;
  /** Registry id of the session clock. */
  session_clock_id: string;
  /** Hash of the session clock's registry entry. */
  session_clock_hash: string;
  /** Session clock reading when answering. */
  session_now_ns: bigint;
  /** Session clock reading when the first other member was seen; null standalone. */
  cluster_joined_at_ns: bigint | null;
  /** Base58 peer id. */
  peer_id: string;
  /** First non-loopback MAC, lowercase hex without separators. */
  app_instance: string;
  /** Whether this peer is its cluster's Manager. */
  is_manager: boolean;
  /** The current Manager's peer id; empty when not in a cluster. */
  manager_peer_id: string;
}

/** Parses ParticipantInfo JSON; tolerates builds that predate `is_manager` and `manager_peer_id`. */
const ParticipantInfoSchema = z.object({
  app: z.string(),
  name: z.string(),
  session_id: z.string(),
  session_clock_id: z.string(),
  session_clock_hash: z.string(),
  session_now_ns: Int64,
  cluster_joined_at_ns: Int64.nullable(),
  peer_id: z.string(),
  app_instance: z.string(),
  is_manager: z.boolean().default(false),
  manager_peer_id: z.string().default(""),
});

/** Writes ParticipantInfo as JSON text in the Rust struct's field order. */
export function participantInfoJson(info: ParticipantInfo): string {
  return stringifyJson({
    app: info.app,
    name: info.name,
    session_id: info.session_id,
    session_clock_id: info.session_clock_id,
    session_clock_hash: info.session_clock_hash,
    session_now_ns: info.session_now_ns,
    cluster_joined_at_ns: info.cluster_joined_at_ns,
    peer_id: info.peer_id,
    app_instance: info.app_instance,
    is_manager: info.is_manager,
    manager_peer_id: info.manager_peer_id,
  });
}

/** Answers an info request body in the encoding it used. */
function answerInfo(
  body: Uint8Array,
  info: ParticipantInfo,
): Uint8Array {
  const json = participantInfoJson(info);
  if (body[0] === 0x7b) {
    // Starting with "{", it is an object if it parses at all.
    try {
      parseJsonBytes(body);
    } catch (error) {
      throw new DropRequest(`malformed JSON info request: ${error}`);
    }
    return jsonBytes({ participant_info_json: json });
  }
  try {
    fromBinary(InfoRequestSchema, body);
  } catch (error) {
    throw new DropRequest(`malformed protobuf info request: ${error}`);
  }
  return toBinary(
    InfoResponseSchema,
    create(InfoResponseSchema, { participantInfoJson: json }),
  );
}

/** The info service: answers with this participant's info at the time of asking. */
export function infoService(
  init: { participantInfo(): ParticipantInfo },
  components: ServiceComponents,
): Service {
  return requestService(
    components,
    INFO,
    INFO_LIMITS,
    (body) => answerInfo(body, init.participantInfo()),
  );
}

/** Asks a peer for its ParticipantInfo in the given encoding. */
export async function requestInfo(
  node: Libp2p,
  target: Target,
  encoding: WireEncoding = "protobuf",
): Promise<z.infer<typeof ParticipantInfoSchema>> {
  const body = encoding === "json"
    ? jsonBytes({})
    : toBinary(InfoRequestSchema, create(InfoRequestSchema));
  const response = await request(node, target, INFO, body, INFO_LIMITS);
  let text: string;
  if (response[0] === 0x7b) {
    const envelope = z.object({ participant_info_json: z.string() }).parse(
      parseJsonBytes(response),
    );
    text = envelope.participant_info_json;
  } else {
    text = fromBinary(InfoResponseSchema, response).participantInfoJson;
  }
  return ParticipantInfoSchema.parse(parseJson(text));
}
