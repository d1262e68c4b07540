/**
 * The joiner's side of `/auki/join/0.0.1` against every shipped Manager:
 * both protobuf and JSON join requests have shipped under the same id, and
 * a JSON-only Manager resets a protobuf request without answering. A
 * request reset or closed without an answer is tried once in the other
 * encoding; the encoding that got an answer is remembered per Manager and
 * logged. A configured `wire_encoding` forces one encoding.
 *
 * @module
 */
import { peerIdFromString } from "@libp2p/peer-id";
import type { WireEncoding } from "../../core/codec/wire_encoding.ts";
import { DroppedRequestError } from "../protocols/exchange.ts";
import type { ClusterState } from "./cluster_state.ts";
import { type JoinAnswer, requestJoin } from "./join_protocol.ts";

/** The encoding tried first with a Manager nothing is known of. */
export const FIRST_ENCODING: WireEncoding = "protobuf";

/**
 * Asks the Manager `manager` to admit this peer with `multiaddrs`, falling
 * back to the other encoding when the request is dropped unanswered.
 */
export async function askToJoin(
  state: ClusterState,
  manager: string,
  multiaddrs: string[],
  timeoutMs?: number,
): Promise<JoinAnswer> {
  const forced = state.settings.wireEncoding;
  const first = forced ?? state.joinEncodings.get(manager) ?? FIRST_ENCODING;
  const ask = (encoding: WireEncoding) =>
    requestJoin(state.context.node, peerIdFromString(manager), multiaddrs, {
      encoding,
      authorization: state.settings.authorization,
      timeoutMs,
    });
  let encoding = first;
  let answer: JoinAnswer;
  try {
    answer = await ask(first);
  } catch (error) {
    if (forced !== undefined || !(error instanceof DroppedRequestError)) {
      throw error;
    }
    encoding = first === "json" ? "protobuf" : "json";
    state.log.info(
      `the Manager ${manager} dropped a ${first} join request unanswered; trying ${encoding}`,
    );
    answer = await ask(encoding);
  }
  if (state.joinEncodings.get(manager) !== encoding) {
    state.joinEncodings.set(manager, encoding);
    state.log.info(`joining the Manager ${manager} with ${encoding} requests`);
  }
  return answer;
}
