/**
 * Inbound connection limits, the same for the agent and the relay, and a
 * logged reason when one refuses a connection (js-libp2p only closes the
 * socket, which looks like a bug to the client).
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import type { Logger } from "../core/logging.ts";
import { rateLimited } from "../core/logging.ts";

/**
 * The connection manager's limits: a burst of 256 simultaneous inbound
 * connections (js-libp2p's default is 10 in handshake at once and 5 new
 * connections per host and second) within 1024 open connections.
 */
export const CONNECTION_LIMITS = {
  /** Open connections at most; new inbound ones are refused past it. */
  maxConnections: 1024,
  /** Inbound connections still in their handshake at once. */
  maxIncomingPendingConnections: 256,
  /** New inbound connections per remote host and second. */
  inboundConnectionThreshold: 256,
} as const;

interface MultiaddrConnection {
  remoteAddr: { toString(): string };
}

interface ManagerInternals {
  components: {
    connectionManager: {
      acceptIncomingConnection(connection: MultiaddrConnection): boolean;
      incomingPendingConnections: number;
      maxIncomingPendingConnections: number;
      getConnections(): unknown[];
      getMaxConnections(): number;
    };
  };
}

/** Logs (rate-limited, with a suppressed count) why `node` refused an inbound connection. */
export function logRefusedConnections(node: Libp2p, logger: Logger): void {
  const manager = (node as unknown as ManagerInternals).components
    .connectionManager;
  const accept = manager.acceptIncomingConnection.bind(manager);
  const refused = rateLimited(5_000, (m) => logger.warn(m));
  manager.acceptIncomingConnection = (connection) => {
    if (accept(connection)) return true;
    const reason = manager.incomingPendingConnections >=
        manager.maxIncomingPendingConnections
      ? `${manager.maxIncomingPendingConnections} connections already in their handshake`
      : manager.getConnections().length >= manager.getMaxConnections()
      ? `${manager.getMaxConnections()} connections open`
      : `more than ${CONNECTION_LIMITS.inboundConnectionThreshold} new connections from its host this second`;
    refused(
      `refused a connection from ${connection.remoteAddr}: ${reason}`,
    );
    return false;
  };
}
