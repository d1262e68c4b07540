/**
 * A connection refused by a connection-manager limit is logged with its
 * reason, between real nodes on loopback.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createNode } from "../../agent/node.ts";
import { MemoryLogger } from "../helpers/logger.ts";
import { poll } from "../../scripts/harness/cluster.ts";

Deno.test("a refused inbound connection is logged with its reason", async () => {
  const logger = new MemoryLogger();
  const server = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    logger,
  });
  const client = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  await server.start();
  await client.start();
  try {
    // No connection may be in its handshake: the next one is refused.
    (server as unknown as {
      components: {
        connectionManager: { maxIncomingPendingConnections: number };
      };
    }).components.connectionManager.maxIncomingPendingConnections = 0;
    await assert.rejects(
      client.dial(server.getMultiaddrs()[0], {
        signal: AbortSignal.timeout(5_000),
      }),
    );
    const line = await poll(
      "the refusal",
      () => logger.lines.find((l) => l.includes("refused a connection")),
    );
    assert.match(
      line,
      /^WARN refused a connection from \/ip4\/127\.0\.0\.1\/tcp\/\d+: 0 connections already in their handshake$/,
    );
  } finally {
    await client.stop();
    await server.stop();
  }
});
