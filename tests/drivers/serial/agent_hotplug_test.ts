/**
 * End to end, for each of the six serial drivers: a real `auki-edge run`
 * process with the driver's sensor on a socat pty pair fed by its device
 * simulator. Unplugging the pair ends an open stream with `source_ended`
 * and removes the catalog row, both within a second; plugging it back
 * brings the row back with the same resource id and sensor entry.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { withClient } from "../../../cli/client.ts";
import type { ResourceEntry } from "../../../agent/catalog/resource_entry.ts";
import { Subscription } from "../../../agent/protocols/stream_consumer.ts";
import { SimulatedPort } from "../../../drivers/serial/device_sim_port.ts";
import { startAgent } from "../../../scripts/harness/agent_process.ts";
import { collect } from "../../e2e/_helpers.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { ptyTest, withPair } from "../../helpers/serial.ts";
import { SERIAL_CASES } from "./_serial_cases.ts";

/** Polls the catalog until `match` holds for the row of `id` (or its absence). */
async function catalogUntil(
  node: Libp2p,
  target: Multiaddr,
  id: string,
  match: (row: ResourceEntry | undefined) => boolean,
  what: string,
): Promise<ResourceEntry | undefined> {
  const until = Date.now() + 5_000;
  for (;;) {
    const row = (await requestResources(node, target)).find((r) =>
      r.resource_id === id
    );
    if (match(row)) return row;
    if (Date.now() > until) throw new Error(`catalog: ${what} within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const c of SERIAL_CASES) {
  ptyTest(
    `agent: an unplugged ${c.factory.name} sensor ends its streams and leaves the catalog, then returns`,
    async () => {
      await withPair(async (pair) => {
        const sim = new SimulatedPort({
          path: pair.device,
          baudRate: c.baud,
          source: c.device(),
          peer: pair.host,
        });
        sim.start();
        const agent = await startAgent({
          config: {
            sensors: [{
              driver: c.factory.name,
              id: "dev",
              port: pair.host,
              ...c.config,
            }],
          },
        });
        try {
          await withClient(async (node) => {
            const target = agent.address;
            const first = await catalogUntil(
              node,
              target,
              "dev",
              (r) => r !== undefined,
              "the row",
            );
            const description = c.factory.create(
              c.factory.config.parse({ port: pair.host, ...c.config }),
            ).description;
            assert.equal(first?.sensor?.type, description.sensor.type);
            const sub = await Subscription.open(node, target, {
              resourceId: "dev",
              from: { kind: "latest" },
            }, { timeoutMs: 10_000 });
            const entries = await collect(sub, 20);
            assert.equal(entries.length, 20);
            for (const entry of entries) c.checkPayload?.(entry.payload);

            const unplugged = Date.now();
            await pair.unplug("SIGKILL");
            for await (const _ of sub.entries(AbortSignal.timeout(5_000))) {
              // The entries sent before the unplug.
            }
            assert.equal(sub.end?.kind, "sourceEnded");
            const endedMs = Date.now() - unplugged;
            await catalogUntil(
              node,
              target,
              "dev",
              (r) => r === undefined,
              "the row gone",
            );
            const goneMs = Date.now() - unplugged;
            assert.ok(
              endedMs < 1_000 && goneMs < 1_000,
              `stream ended ${endedMs} ms and row gone ${goneMs} ms after unplugging`,
            );
            await agent.waitForStderr(
              new RegExp(`WARN .*dev: offline: ${c.model} on .* disconnected`),
            );

            await pair.plug();
            const back = await catalogUntil(
              node,
              target,
              "dev",
              (r) => r !== undefined,
              "the row back",
            );
            assert.equal(back?.resource_id, first?.resource_id);
            assert.deepEqual(
              back?.sensor,
              first?.sensor,
              "same sensor entry and hash",
            );
            const again = await Subscription.open(node, target, {
              resourceId: "dev",
              from: { kind: "latest" },
            }, { timeoutMs: 10_000 });
            assert.equal((await collect(again, 5)).length, 5);
            await again.close();
          });
        } finally {
          await agent.stop();
          await sim.stop();
        }
      });
    },
  );
}
