/**
 * A subscription to a real agent process closed by the consumer while it
 * waits for the next entry ends as `closed`, not as a lost connection (a
 * `subscribe` stopped with Ctrl-C exits quietly).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Subscription } from "../../../agent/protocols/stream_consumer.ts";
import { withClient } from "../../../cli/client.ts";
import { startAgent } from "../../../scripts/harness/agent_process.ts";

Deno.test("Subscription: close() during a read ends the subscription as closed", async () => {
  const agent = await startAgent({
    config: { sensors: [{ driver: "sim.joints", rate_hz: 5 }] },
  });
  try {
    await withClient(async (node) => {
      const subscription = await Subscription.open(node, agent.address, {
        resourceId: "sim_joints",
      });
      let received = 0;
      for await (const _ of subscription.entries()) {
        // The next read waits about 200 ms: close while it is pending.
        if (++received === 1) setTimeout(() => subscription.close(), 50);
      }
      assert.equal(received, 1);
      assert.deepEqual(subscription.end, { kind: "closed", detail: "" });
    });
  } finally {
    await agent.stop();
  }
});
