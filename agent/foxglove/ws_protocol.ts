/**
 * The Foxglove WebSocket protocol classes of `@foxglove/ws-protocol`. The
 * package is CommonJS whose named exports Deno cannot see statically, so
 * they are taken from its default export here, once.
 *
 * @module
 */
import wsProtocol from "@foxglove/ws-protocol";
import type {
  FoxgloveClient as Client,
  FoxgloveServer as Server,
} from "@foxglove/ws-protocol";

/** The protocol's channel, socket and message types. */
export type { Channel, IWebSocket, MessageData } from "@foxglove/ws-protocol";

const classes = wsProtocol as unknown as {
  FoxgloveClient: typeof Client;
  FoxgloveServer: typeof Server;
};

/** The protocol's server: channels, subscriptions and message framing. */
export const FoxgloveServer: typeof Server = classes.FoxgloveServer;
/** A server instance. */
export type FoxgloveServer = Server;
/** The protocol's client, over any WebSocket. */
export const FoxgloveClient: typeof Client = classes.FoxgloveClient;
/** A client instance. */
export type FoxgloveClient = Client;

/** The sub-protocol both ends speak. */
export const FOXGLOVE_SUBPROTOCOL = "foxglove.websocket.v1";
