/**
 * Short-lived client nodes for the inspection commands: an ephemeral peer
 * key (never the device's seed), no listeners.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { createNode } from "../agent/node.ts";
import { UsageError } from "./args.ts";
import { errorMessage } from "../core/logging.ts";

/** Parses a MULTIADDR argument; a bad one is a usage error. */
export function parseTarget(command: string, text: string): Multiaddr {
  try {
    return multiaddr(text);
  } catch (error) {
    throw new UsageError(
      `${command}: MULTIADDR: "${text}" is not a multiaddr (${
        errorMessage(error)
      })`,
    );
  }
}

/** Runs `work` with a started client node, stopping it afterwards. */
export async function withClient<T>(
  work: (node: Libp2p) => Promise<T>,
): Promise<T> {
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  await node.start();
  try {
    return await work(node);
  } finally {
    await node.stop();
  }
}
