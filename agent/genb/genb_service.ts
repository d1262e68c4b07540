/**
 * The gen-B protocol service: registers every `/auki/auth/1/...` handler
 * (info 1.0.0, resources 0.2.0 and 0.3.0, registries 0.2.0 and 0.3.0,
 * stream 0.2.0), each running the token handshake before the payload codec
 * of its generation-A counterpart. Refused streams get one log line per
 * protocol every 10 s; the agent keeps serving.
 *
 * @module
 */
import type { Connection, Stream, StreamHandler } from "@libp2p/interface";
import type { FrameLimits } from "../../core/codec/framing.ts";
import { rateLimited } from "../../core/logging.ts";
import { VERSION } from "../../core/version.ts";
import type { RegistryStore } from "../registries/store.ts";
import { OVER_RELAYS } from "../protocols/ids.ts";
import { INFO_LIMITS, type ParticipantInfo } from "../protocols/info.ts";
import {
  answerRegistries,
  REGISTRIES_LIMITS,
} from "../protocols/registries.ts";
import { RESOURCES_LIMITS } from "../protocols/resources.ts";
import {
  requestHandler,
  type Service,
  type ServiceComponents,
} from "../protocols/service.ts";
import {
  answerAuthInfo,
  answerAuthRegistriesV3,
  answerAuthResourcesV2,
  answerAuthResourcesV3,
  authenticatedInfoJson,
  type Rows,
} from "./answers.ts";
import type { Authority } from "./authority.ts";
import { authenticateStream } from "./handshake.ts";
import {
  AUTH_INFO,
  AUTH_REGISTRIES_V2,
  AUTH_REGISTRIES_V3,
  AUTH_RESOURCES_V2,
  AUTH_RESOURCES_V3,
  AUTH_STREAM,
} from "./ids.ts";

/** What the gen-B service serves. */
export interface GenBInit {
  /** The domain, own token and keys every handshake uses. */
  authority: Authority;
  /** This participant's info now. */
  participantInfo(): ParticipantInfo;
  /** The catalog rows. */
  rows: Rows;
  /** The local registry. */
  registry: RegistryStore;
  /** The stream producer's handler, run after the handshake. */
  stream: StreamHandler;
}

/** Inbound subscriptions served at once, as generation A. */
const MAX_STREAMS = 64;

/** The gen-B service on `components.node`. */
export function genbService(
  init: GenBInit,
  components: ServiceComponents,
): Service {
  const { logger, node } = components;
  const request = (
    protocol: string,
    limits: FrameLimits,
    answer: (body: Uint8Array) => Uint8Array | Promise<Uint8Array>,
  ) => requestHandler(protocol, limits, answer, logger);
  const handlers: [string, StreamHandler, number?][] = [
    [
      AUTH_INFO,
      request(AUTH_INFO, INFO_LIMITS, (body) =>
        answerAuthInfo(
          body,
          authenticatedInfoJson(init.participantInfo(), VERSION),
        )),
    ],
    [
      AUTH_RESOURCES_V2,
      request(
        AUTH_RESOURCES_V2,
        RESOURCES_LIMITS,
        (body) => answerAuthResourcesV2(body, init.rows),
      ),
    ],
    [
      AUTH_RESOURCES_V3,
      request(
        AUTH_RESOURCES_V3,
        RESOURCES_LIMITS,
        (body) => answerAuthResourcesV3(body, init.rows),
      ),
    ],
    [
      AUTH_REGISTRIES_V2,
      request(
        AUTH_REGISTRIES_V2,
        REGISTRIES_LIMITS,
        (body) => answerRegistries(body, init.registry),
      ),
    ],
    [
      AUTH_REGISTRIES_V3,
      request(
        AUTH_REGISTRIES_V3,
        REGISTRIES_LIMITS,
        (body) => answerAuthRegistriesV3(body, init.registry),
      ),
    ],
    [AUTH_STREAM, init.stream, MAX_STREAMS],
  ];
  return {
    async start() {
      for (const [protocol, handler, maxInboundStreams] of handlers) {
        const refused = rateLimited(10_000, (m) => logger.info(m));
        await node.handle(
          protocol,
          authenticated(protocol, handler, init, refused),
          {
            ...OVER_RELAYS,
            ...(maxInboundStreams ? { maxInboundStreams } : {}),
          },
        );
      }
    },
    async stop() {
      for (const [protocol] of handlers) await node.unhandle(protocol);
    },
  };
}

function authenticated(
  protocol: string,
  handler: StreamHandler,
  init: GenBInit,
  refused: (message: string) => void,
): StreamHandler {
  return async (stream: Stream, connection: Connection) => {
    const peer = connection.remotePeer.toString();
    try {
      await authenticateStream(stream, peer, init.authority);
    } catch (error) {
      refused(
        `refused ${protocol} from ${peer}: ${(error as Error).message}`,
      );
      return;
    }
    await handler(stream, connection);
  };
}
