/**
 * End to end: 100 clients connecting at the same moment to a real
 * `auki-edge run` process serving four sensors are all accepted and answer
 * a ping (js-libp2p's defaults reset 90 of them); the rate is printed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { createNode } from "../../agent/node.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import { SMALL_SIMS } from "./_helpers.ts";

const CLIENTS = 100;

Deno.test("a burst of 100 simultaneous connections is served", async () => {
  const agent = await startAgent({ config: SMALL_SIMS });
  const clients: Libp2p[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) {
      const node = await createNode({
        privateKey: await generateKeyPair("Ed25519"),
        listen: [],
      });
      await node.start();
      clients.push(node);
    }
    const started = performance.now();
    // Generous deadlines: the machine may be loaded; what must not happen
    // is a refused or reset connection.
    const results = await Promise.allSettled(clients.map(async (node) => {
      const signal = AbortSignal.timeout(60_000);
      const connection = await node.dial(agent.address, { signal });
      const ping = node.services.ping as {
        ping(peer: unknown, options: { signal: AbortSignal }): Promise<number>;
      };
      await ping.ping(connection.remotePeer, { signal });
    }));
    const seconds = (performance.now() - started) / 1000;
    const failed = results.filter((r) => r.status === "rejected");
    console.log(
      `${CLIENTS - failed.length}/${CLIENTS} served in ${
        seconds.toFixed(2)
      } s (${
        (CLIENTS / seconds).toFixed(0)
      } connections/s while serving four sensors)`,
    );
    assert.deepEqual(
      failed.map((r) => String((r as PromiseRejectedResult).reason)),
      [],
    );
    assert.doesNotMatch(agent.stderr(), /refused a connection/);
  } finally {
    await Promise.all(clients.map((node) => node.stop()));
    await agent.stop();
  }
});
