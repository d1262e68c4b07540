/**
 * The join protocol of a standalone agent: every join request is refused
 * with "not the manager", in the encoding it came in.
 *
 * @module
 */
import { JOIN, OVER_RELAYS } from "../protocols/ids.ts";
import {
  requestHandler,
  type Service,
  type ServiceComponents,
} from "../protocols/service.ts";
import {
  decodeJoinRequest,
  encodeJoinAnswer,
  JOIN_LIMITS,
} from "./join_protocol.ts";

/** The join service of an agent that is in no cluster. */
export function joinRefusalService(components: ServiceComponents): Service {
  const { node, logger } = components;
  return {
    start: () =>
      node.handle(
        JOIN,
        requestHandler(JOIN, JOIN_LIMITS, (body) =>
          encodeJoinAnswer(
            { kind: "reject", reason: "not the manager" },
            decodeJoinRequest(body).encoding,
          ), logger),
        OVER_RELAYS,
      ),
    stop: () => node.unhandle(JOIN),
  };
}
