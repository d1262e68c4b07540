/**
 * The subscriber's request: `source_peer_id` defaults to the serving peer's
 * id (strict Rust providers decline `""`), and a given one is sent as is. A
 * subscription to a real agent process closed by the consumer while it waits
 * for the next entry ends as `closed`, not as a lost connection (a
 * `subscribe` stopped with Ctrl-C exits quietly).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Stream } from "@libp2p/interface";
import { encodeFrame, FrameReader } from "../../../core/codec/framing.ts";
import {
  decodeStreamMessage,
  encodeStreamMessage,
  STREAM_LIMITS,
} from "../../../agent/protocols/stream_messages.ts";
import {
  StreamDeclinedError,
  Subscription,
} from "../../../agent/protocols/stream_consumer.ts";
import { STREAM } from "../../../agent/protocols/ids.ts";
import { withNodes } from "../cluster/_nodes.ts";
import { withClient } from "../../../cli/client.ts";
import { startAgent } from "../../../scripts/harness/agent_process.ts";

Deno.test("Subscription.open: source_peer_id defaults to the serving peer's id", async () => {
  await withNodes(async (client, server) => {
    const seen: string[] = [];
    await server.handle(STREAM, async (stream: Stream) => {
      const body = await new FrameReader(stream, STREAM_LIMITS).read();
      const message = decodeStreamMessage(body!);
      if (message.variant.case === "request") {
        seen.push(message.variant.value.sourcePeerId);
      }
      // Declined like a strict provider would, whatever was asked.
      stream.send(encodeFrame(
        encodeStreamMessage({
          variant: {
            case: "decline",
            value: { kind: { case: "sensorNotFound", value: {} } },
          },
        }),
        STREAM_LIMITS,
      ));
      await stream.close();
    });
    for (const sourcePeerId of [undefined, "galbot"]) {
      await assert.rejects(
        Subscription.open(client, server.getMultiaddrs(), {
          resourceId: "cam",
          sourcePeerId,
        }),
        StreamDeclinedError,
      );
    }
    assert.deepEqual(seen, [server.peerId.toString(), "galbot"]);
  });
});

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
