/**
 * The subscriber's request: `source_peer_id` defaults to the serving peer's
 * id (strict Rust providers decline `""`), and a given one is sent as is.
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
