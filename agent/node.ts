/**
 * The libp2p node: TCP, Noise, Yamux, identify and ping, and the Circuit
 * Relay v2 client transport, as the Rust generation-A swarm (spec wire.md
 * section 1), plus DCUtR to upgrade relayed connections to direct ones.
 *
 * @module
 */
import { createLibp2p } from "libp2p";
import type { Libp2p, PrivateKey } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { ping } from "@libp2p/ping";
import { circuitRelayTransport } from "@libp2p/circuit-relay-v2";
import { dcutr } from "@libp2p/dcutr";
import type { Multiaddr } from "@multiformats/multiaddr";
import { VERSION } from "../core/version.ts";
import { libp2pLogging } from "./libp2p_logger.ts";
import type { Logger } from "../core/logging.ts";
import {
  CONNECTION_LIMITS,
  logRefusedConnections,
} from "./connection_limits.ts";

/** The agent's name and version (deno.json's), as identify reports them. */
export const AGENT_VERSION = `auki-edge/${VERSION}`;

/** Options of {@link createNode}. */
export interface NodeOptions {
  /** The peer's private key. */
  privateKey: PrivateKey;
  /** Multiaddrs to listen on; none for a dial-only client. */
  listen: string[];
  /**
   * Our logger: refused inbound connections are logged to it, and at level
   * `debug` libp2p's own component logs go into it.
   */
  logger?: Logger;
}

/** Creates (not starts) a libp2p node speaking what Rust peers speak. */
export async function createNode(options: NodeOptions): Promise<Libp2p> {
  const node = await createLibp2p({
    start: false,
    privateKey: options.privateKey,
    addresses: { listen: options.listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    nodeInfo: { userAgent: AGENT_VERSION },
    // js-libp2p resets the sixth inbound connection per host and second, and
    // the eleventh in its handshake, by default; Rust peers have no such
    // limits, and scripts and dashboards on one host open many connections.
    connectionManager: CONNECTION_LIMITS,
    services: { identify: identify(), ping: ping(), dcutr: dcutr() },
    ...libp2pLogging(options.logger),
  });
  if (options.logger !== undefined) {
    logRefusedConnections(node, options.logger.child("net"));
  }
  return node;
}

interface AddressInternals {
  components: {
    addressManager: {
      confirmObservedAddr(
        addr: Multiaddr,
        options: { type: "transport" },
      ): void;
    };
    transportManager: { getAddrs(): Multiaddr[] };
  };
}

/**
 * Marks a started node's own listen addresses as verified. js-libp2p hides
 * public listen addresses until AutoNAT confirms them; Rust peers advertise
 * what they listen on, so a device or relay on a public address does too.
 */
export function trustListenAddresses(node: Libp2p): void {
  const { addressManager, transportManager } =
    (node as unknown as AddressInternals).components;
  for (const addr of transportManager.getAddrs()) {
    if (!addr.toString().includes("/p2p-circuit")) {
      addressManager.confirmObservedAddr(addr, { type: "transport" });
    }
  }
}
