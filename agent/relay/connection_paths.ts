/**
 * Logs which path each peer's connection takes: direct, through a relay
 * (with the relay's limits), or upgraded from a relayed connection to a
 * direct one by DCUtR hole punching.
 *
 * @module
 */
import type { Connection, Libp2p } from "@libp2p/interface";
import type { Logger } from "../../core/logging.ts";

/** The relay peer id of a circuit address, or undefined for a direct one. */
function relayOf(remoteAddr: string): string | undefined {
  return /\/p2p\/([^/]+)\/p2p-circuit/.exec(remoteAddr)?.[1];
}

/** How a connection's limits read in a log line. */
function describeLimits(connection: Connection): string {
  const limits = connection.limits;
  if (limits === undefined) return "unlimited";
  const parts: string[] = [];
  if (limits.bytes !== undefined) parts.push(`${limits.bytes} bytes`);
  if (limits.seconds !== undefined) parts.push(`${limits.seconds} s`);
  return `limited to ${parts.join(", ") || "a relay's defaults"}`;
}

/** Starts logging connection paths on `node`; returns the function that stops it. */
export function logConnectionPaths(
  node: Libp2p,
  relays: ReadonlySet<string>,
  logger: Logger,
): () => void {
  const relayedPeers = new Set<string>();
  const onOpen = (event: CustomEvent<Connection>) => {
    const connection = event.detail;
    const peer = connection.remotePeer.toString();
    if (relays.has(peer)) return;
    const remote = connection.remoteAddr.toString();
    const relay = relayOf(remote);
    if (relay !== undefined) {
      relayedPeers.add(peer);
      logger.info(
        `peer ${peer} connected through relay ${relay} (${connection.direction}, ${
          describeLimits(connection)
        })`,
        {
          event: "peer_connected",
          peer,
          path: "relay",
          relay,
          direction: connection.direction,
        },
      );
    } else if (relayedPeers.has(peer)) {
      logger.info(
        `peer ${peer} upgraded from the relay to a direct connection at ${remote}`,
        { event: "peer_connected", peer, path: "upgraded", remote },
      );
    } else {
      logger.info(
        `peer ${peer} connected directly at ${remote} (${connection.direction})`,
        {
          event: "peer_connected",
          peer,
          path: "direct",
          remote,
          direction: connection.direction,
        },
      );
    }
  };
  const onClose = (event: CustomEvent<Connection>) => {
    const peer = event.detail.remotePeer.toString();
    if (node.getConnections(event.detail.remotePeer).length === 0) {
      relayedPeers.delete(peer);
    }
  };
  node.addEventListener("connection:open", onOpen);
  node.addEventListener("connection:close", onClose);
  return () => {
    node.removeEventListener("connection:open", onOpen);
    node.removeEventListener("connection:close", onClose);
  };
}
