/**
 * The shape of the agent's protocol services, after js-libp2p's: a factory
 * takes its init and the shared components; `start()` registers its
 * handlers (behind the membership gate), `stop()` removes them. The
 * request-response protocols (info, resources, registries) are built by
 * {@link requestService}.
 *
 * @module
 */
import type { Libp2p, StreamHandler } from "@libp2p/interface";
import type { FrameLimits } from "../../core/codec/framing.ts";
import type { Logger } from "../../core/logging.ts";
import { rateLimitedByKey } from "../../core/keyed_rate_limit.ts";
import { truncated } from "../../core/log_text.ts";
import { serveRequest } from "./exchange.ts";
import type { MembershipGate } from "./gate.ts";
import { OVER_RELAYS } from "./ids.ts";

/** What every protocol service gets from the agent. */
export interface ServiceComponents {
  /** The libp2p node its handlers are registered on. */
  node: Libp2p;
  /** The gate every Auki protocol but join passes. */
  gate: MembershipGate;
  /** Where the handlers' log lines go. */
  logger: Logger;
}

/** A protocol service. */
export interface Service {
  /** Registers its handlers (before the node starts). */
  start(): Promise<void>;
  /** Work that needs a running node (dialing peers); optional. */
  afterStart?(): void;
  /** Stops its work and removes its handlers. */
  stop(): Promise<void>;
}

/**
 * Registers `handler` for `protocol` behind the gate, over relayed
 * connections too, with an optional inbound stream limit.
 */
export async function handleGated(
  components: ServiceComponents,
  protocol: string,
  handler: StreamHandler,
  maxInboundStreams?: number,
): Promise<void> {
  await components.node.handle(
    protocol,
    components.gate.guard(protocol, handler),
    { ...OVER_RELAYS, ...(maxInboundStreams ? { maxInboundStreams } : {}) },
  );
}

/**
 * The handler serving one request per substream, logging dropped ones: the
 * reason cut to a bounded length, one line per peer and cause every 10 s.
 */
export function requestHandler(
  protocol: string,
  limits: FrameLimits,
  answer: (body: Uint8Array) => Uint8Array | Promise<Uint8Array>,
  logger: Logger,
): StreamHandler {
  const dropped = rateLimitedByKey(10_000, (m) => logger.warn(m));
  return (stream, connection) =>
    serveRequest(
      stream,
      limits,
      answer,
      (reason) =>
        dropped(
          `${connection.remotePeer} ${reason.slice(0, 40)}`,
          `${protocol} from ${connection.remotePeer} dropped: ${
            truncated(reason, 400)
          }`,
        ),
    );
}

/** A gated one-request, one-response service (info, resources, registries). */
export function requestService(
  components: ServiceComponents,
  protocol: string,
  limits: FrameLimits,
  answer: (body: Uint8Array) => Uint8Array | Promise<Uint8Array>,
): Service {
  return {
    start: () =>
      handleGated(
        components,
        protocol,
        requestHandler(protocol, limits, answer, components.logger),
      ),
    stop: () => components.node.unhandle(protocol),
  };
}
