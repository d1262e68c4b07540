/**
 * End to end: a stream request whose `from_timestamp` is not a number (its
 * `timestamp_ns` sent as a string) is dropped as malformed by a real
 * `auki-edge run` process, as a Rust peer rejects it, instead of being read
 * as 0 and served from the start.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../core/codec/framing.ts";
import { STREAM } from "../../agent/protocols/ids.ts";
import { STREAM_LIMITS } from "../../agent/protocols/stream_messages.ts";
import { withClient } from "../../cli/client.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import { probe, SMALL_SIMS } from "./_helpers.ts";

/** A request for `resourceId` whose from_timestamp carries `inner` as its body. */
function requestWithFrom(resourceId: string, inner: number[]): Uint8Array {
  const id = [...new TextEncoder().encode(resourceId)];
  const request = [0x12, id.length, ...id, 0x32, inner.length, ...inner];
  return encodeFrame(
    new Uint8Array([0x0a, request.length, ...request]),
    STREAM_LIMITS,
  );
}

Deno.test("a non-numeric from_timestamp is dropped as a malformed request", async () => {
  const agent = await startAgent({ config: SMALL_SIMS });
  try {
    await withClient(async (node) => {
      // timestamp_ns as the string "abc", then as an empty string.
      for (const inner of [[0x0a, 3, 0x61, 0x62, 0x63], [0x0a, 0]]) {
        const result = await probe(
          node,
          agent.address,
          STREAM,
          requestWithFrom("sim_joints", inner),
        );
        assert.equal(result.received, 0, "no accept, no entries");
        assert.equal(result.end, "reset");
      }
      await agent.waitForStderr(
        /dropped a stream from \S+: Error: malformed request: \S+\.timestamp_ns: wire type 2, expected 0/,
      );
      // A numeric one is served.
      const served = await probe(
        node,
        agent.address,
        STREAM,
        requestWithFrom("sim_joints", [0x08, 0x01]),
        { waitMs: 1_000 },
      );
      assert.ok(served.received > 0, "a numeric from_timestamp is accepted");
    });
  } finally {
    await agent.stop();
  }
});
