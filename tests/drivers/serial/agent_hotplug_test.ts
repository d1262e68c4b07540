/**
 * End to end: a real `auki-edge run` process with a `serial.tfmini` sensor
 * on a socat pty pair fed by the TFmini simulator. Unplugging the pair ends
 * an open stream with `source_ended` and removes the catalog row, both
 * within a second; plugging it back brings the row back with the same
 * resource id and sensor entry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { withClient } from "../../../cli/client.ts";
import type { ResourceEntry } from "../../../agent/catalog/resource_entry.ts";
import { Subscription } from "../../../agent/protocols/stream_consumer.ts";
import { PointCloudDataSchema } from "../../../core/proto/payload_schemas.ts";
import {
  swingScene,
  tfminiSource,
} from "../../../drivers/rangefinder/tfmini_device_sim.ts";
import { SimulatedPort } from "../../../drivers/serial/device_sim_port.ts";
import { startAgent } from "../../../scripts/harness/agent_process.ts";
import { catalogRows, collect } from "../../e2e/_helpers.ts";
import { ptyTest, withPair } from "../../helpers/serial.ts";

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
    const row = (await catalogRows(node, target)).find((r) =>
      r.resource_id === id
    );
    if (match(row)) return row;
    if (Date.now() > until) throw new Error(`catalog: ${what} within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

ptyTest(
  "agent: an unplugged serial sensor ends its streams and leaves the catalog, then returns",
  async () => {
    await withPair(async (pair) => {
      const sim = new SimulatedPort({
        path: pair.device,
        baudRate: 115200,
        source: tfminiSource(),
        peer: pair.host,
      });
      sim.start();
      const agent = await startAgent({
        config: {
          sensors: [{ driver: "serial.tfmini", id: "range", port: pair.host }],
        },
      });
      try {
        await withClient(async (node) => {
          const target = agent.address;
          const first = await catalogUntil(
            node,
            target,
            "range",
            (r) => r !== undefined,
            "the row",
          );
          assert.equal(first?.sensor?.type, "1d_lidar");
          const sub = await Subscription.open(node, target, {
            resourceId: "range",
            from: { kind: "latest" },
          }, { timeoutMs: 10_000 });
          // Each entry is one point at a distance the simulator sends (its
          // target swings through one period in 400 frames).
          const sent = new Set(
            Array.from(
              { length: 400 },
              (_, i) => swingScene(i / 100).distanceCm,
            ),
          );
          for (const entry of await collect(sub, 20)) {
            const { data } = fromBinary(PointCloudDataSchema, entry.payload);
            const view = new DataView(
              data.buffer,
              data.byteOffset,
              data.byteLength,
            );
            const cm = view.getFloat32(0, true) * 100;
            assert.ok(sent.has(Math.round(cm)), `${cm} cm`);
            assert.ok(Math.abs(cm - Math.round(cm)) < 1e-4);
          }

          const unplugged = Date.now();
          await pair.unplug("SIGKILL");
          const rest = [];
          for await (const entry of sub.entries(AbortSignal.timeout(5_000))) {
            rest.push(entry);
          }
          assert.equal(sub.end?.kind, "sourceEnded");
          const endedMs = Date.now() - unplugged;
          await catalogUntil(
            node,
            target,
            "range",
            (r) => r === undefined,
            "the row gone",
          );
          const goneMs = Date.now() - unplugged;
          assert.ok(
            endedMs < 1_000 && goneMs < 1_000,
            `stream ended ${endedMs} ms and row gone ${goneMs} ms after unplugging`,
          );
          await agent.waitForStderr(
            /WARN .*range: offline: TFmini on .* disconnected/,
          );

          await pair.plug();
          const back = await catalogUntil(
            node,
            target,
            "range",
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
            resourceId: "range",
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
