import { withClient } from "../../cli/client.ts";
/**
 * End to end: malformed and hostile input on raw substreams to a real
 * `auki-edge run` process. Each is answered as the spec says (dropped, or
 * declined), logged, and leaves the agent serving; a subscriber that stops
 * reading never stalls the sensor or other subscribers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import type { Libp2p } from "@libp2p/interface";
import { encodeFrame, FrameReader } from "../../core/codec/framing.ts";
import {
  INFO,
  REGISTRIES,
  RESOURCES,
  STREAM,
} from "../../agent/protocols/ids.ts";
import {
  decodeStreamMessage,
  encodeStreamMessage,
  STREAM_LIMITS,
} from "../../agent/protocols/stream_messages.ts";
import { Subscription } from "../../agent/protocols/stream_consumer.ts";
import { CameraFrameSchema } from "../../core/proto/gen/auki/camera_pb.ts";
import { frameIndexOf } from "../../drivers/camera/test_pattern.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import {
  assertSequence,
  collect,
  collectUntil,
  probe,
  type ProbeResult,
  rowOf,
  SMALL_SIMS,
  streamRequestFrame,
  textFrame,
  utcNowNs,
} from "./_helpers.ts";
import { delay } from "../helpers/wait.ts";
import { fromSpacedHex } from "../helpers/hex.ts";
import { requestResources } from "../../agent/protocols/resources.ts";

const OPEN = { timeoutMs: 10_000 };

function assertDropped(result: ProbeResult, what: string): void {
  assert.equal(result.received, 0, `${what}: no answer`);
  assert.notEqual(result.end, "open", `${what}: the agent ends the substream`);
}

Deno.test("malformed input is dropped or declined, logged, and the agent keeps serving", async (t) => {
  const agent = await startAgent({ config: SMALL_SIMS });
  try {
    await withClient(async (node) => {
      const target = agent.address;
      const expectLog = (pattern: RegExp) =>
        agent.waitForStderr(pattern, 5_000);

      await t.step("zero-length frames are dropped", async () => {
        for (const protocol of [RESOURCES, REGISTRIES, STREAM]) {
          assertDropped(
            await probe(node, target, protocol, fromSpacedHex("00000000")),
            protocol,
          );
        }
        await expectLog(
          /resources\/0\.2\.0 from \S+ dropped: zero-length frame/,
        );
        await expectLog(
          /registries\/0\.2\.0 from \S+ dropped: zero-length frame/,
        );
        await expectLog(/dropped a stream from \S+: zero-length frame/);
      });

      await t.step(
        "an oversized length prefix resets before any body arrives",
        async () => {
          for (const protocol of [INFO, RESOURCES, REGISTRIES, STREAM]) {
            // The writing side stays open: the agent must not wait for 4 GiB.
            const result = await probe(
              node,
              target,
              protocol,
              fromSpacedHex("ffffffff"),
              { waitMs: 5_000 },
            );
            assertDropped(result, protocol);
            assert.equal(result.end, "reset", `${protocol}: reset`);
            assert.ok(
              result.ms < 1_500,
              `${protocol}: reset after ${Math.round(result.ms)} ms`,
            );
          }
          await expectLog(
            /info\/0\.0\.1 from \S+ dropped: frame of 4294967295 bytes exceeds the 65536-byte cap/,
          );
          await expectLog(
            /resources\/0\.2\.0 from \S+ dropped: frame of 4294967295 bytes exceeds the 1048576-byte cap/,
          );
          await expectLog(
            /registries\/0\.2\.0 from \S+ dropped: frame of 4294967295 bytes exceeds the 65536-byte cap/,
          );
          await expectLog(
            /dropped a stream from \S+: frame of 4294967295 bytes exceeds the 16777216-byte cap/,
          );
        },
      );

      await t.step("garbage protobuf is dropped", async () => {
        // A varint cut short, then a field with the invalid wire type 7.
        for (const body of ["08ff", "0f"]) {
          assertDropped(
            await probe(
              node,
              target,
              STREAM,
              encodeFrame(fromSpacedHex(body), STREAM_LIMITS),
            ),
            `stream ${body}`,
          );
          assertDropped(
            await probe(
              node,
              target,
              INFO,
              encodeFrame(fromSpacedHex(body), { maxBytes: 65536 }),
            ),
            `info ${body}`,
          );
        }
        await expectLog(
          /info\/0\.0\.1 from \S+ dropped: malformed protobuf info request/,
        );
        await expectLog(
          /dropped a stream from \S+: .*(premature|invalid|wire type|EOF|end)/i,
        );
      });

      await t.step("wrong JSON types are dropped", async () => {
        const cases: [string, Uint8Array][] = [
          [RESOURCES, textFrame('{"variants":"x"}')],
          [RESOURCES, textFrame('{"variants":["bogus"]}')],
          [RESOURCES, textFrame('{"variants":[5]}')],
          [RESOURCES, textFrame('"{}"')],
          [RESOURCES, textFrame("{")],
          [
            RESOURCES,
            encodeFrame(fromSpacedHex("7b2276617269616e7473223a5b22ff225d7d"), {
              maxBytes: 64,
            }),
          ],
          [REGISTRIES, textFrame('{"kind":5}')],
          [REGISTRIES, textFrame('{"kind":"sensor","id":"sim_joints"}')],
          [REGISTRIES, textFrame('{"kind":"pose","id":"x","hash":"00"}')],
          [REGISTRIES, textFrame("[]")],
          [
            REGISTRIES,
            encodeFrame(fromSpacedHex("7b226b696e64223a22ff227d"), {
              maxBytes: 64,
            }),
          ],
          [INFO, textFrame("[]")],
          [INFO, textFrame("{nope")],
        ];
        for (const [protocol, frame] of cases) {
          assertDropped(
            await probe(node, target, protocol, frame),
            `${protocol} ${frame.subarray(4)}`,
          );
        }
        await expectLog(
          /resources\/0\.2\.0 from \S+ dropped: malformed resources request: variants/,
        );
        await expectLog(
          /resources\/0\.2\.0 from \S+ dropped: malformed resources request: The encoded data is not valid/,
        );
        await expectLog(
          /registries\/0\.2\.0 from \S+ dropped: malformed registries request: kind/,
        );
        await expectLog(
          /registries\/0\.2\.0 from \S+ dropped: malformed registries request: hash/,
        );
        await expectLog(
          /registries\/0\.2\.0 from \S+ dropped: malformed registries request: body: .*received array/,
        );
        await expectLog(
          /info\/0\.0\.1 from \S+ dropped: malformed JSON info request/,
        );
      });

      await t.step(
        "a stream message that is not a request is dropped",
        async () => {
          const notRequests = [
            { case: "accept", value: { resourceId: "sim_joints" } },
            {
              case: "entry",
              value: { timestampNs: 1n, seq: 0n, payload: new Uint8Array([1]) },
            },
            {
              case: "endOfStream",
              value: { kind: { case: "sourceEnded", value: {} } },
            },
          ] as const;
          for (const variant of notRequests) {
            const frame = encodeFrame(
              encodeStreamMessage({ variant }),
              STREAM_LIMITS,
            );
            assertDropped(
              await probe(node, target, STREAM, frame),
              variant.case,
            );
          }
          // A message with no variant at all.
          assertDropped(
            await probe(node, target, STREAM, fromSpacedHex("00000002 2000")),
            "no variant",
          );
          await expectLog(
            /dropped a stream from \S+: Error: expected a request, got accept/,
          );
          await expectLog(
            /dropped a stream from \S+: Error: expected a request, got entry/,
          );
          await expectLog(
            /dropped a stream from \S+: Error: expected a request, got endOfStream/,
          );
        },
      );

      await t.step("unknown resources are declined", async () => {
        const stream = await node.dialProtocol(target, STREAM);
        try {
          const reader = new FrameReader(stream, STREAM_LIMITS);
          stream.send(streamRequestFrame("no_such_sensor"));
          const body = await reader.read(AbortSignal.timeout(5_000));
          assert.ok(body);
          const message = decodeStreamMessage(body);
          assert.equal(message.variant.case, "decline");
          assert.equal(message.variant.value.kind.case, "sensorNotFound");
          assert.equal(
            await reader.read(AbortSignal.timeout(5_000)),
            null,
            "closed after the decline",
          );
        } finally {
          if (stream.status === "open") stream.abort(new Error("done"));
        }
        await expectLog(/"no_such_sensor".*declined with sensor_not_found/);
      });

      await t.step(
        "a truncated frame, then the writer closes or disconnects",
        async () => {
          for (const protocol of [RESOURCES, REGISTRIES, STREAM]) {
            assertDropped(
              await probe(
                node,
                target,
                protocol,
                fromSpacedHex("00000010 7b227661"),
                {
                  closeWrite: true,
                },
              ),
              protocol,
            );
          }
          await expectLog(
            /resources\/0\.2\.0 from \S+ dropped: stream ended after 4 of 16 frame bytes/,
          );
          await expectLog(
            /dropped a stream from \S+: stream ended after 4 of 16 frame bytes/,
          );
          // A whole client that goes away in the middle of a request frame.
          const gone = await withClient(async (other) => {
            const stream = await other.dialProtocol(target, STREAM);
            stream.send(fromSpacedHex("00000010 0a0e12"));
            await delay(100);
            await other.hangUp(target);
            return other.peerId.toString();
          });
          await expectLog(
            new RegExp(
              `dropped a stream from ${gone}: (it went away before sending a complete request|stream ended after 3 of 16 frame bytes)`,
            ),
          );
        },
      );

      await t.step("a consumer that disconnects mid-stream", async () => {
        await withClient(async (other) => {
          const sub = await Subscription.open(other, target, {
            resourceId: "sim_joints",
          }, OPEN);
          assert.equal((await collect(sub, 20)).length, 20);
          await other.hangUp(target);
        });
        await expectLog(
          /closed its subscription to "sim_joints" after \d+ entries/,
        );
        const sub = await Subscription.open(node, target, {
          resourceId: "sim_joints",
        }, OPEN);
        try {
          const again = await collect(sub, 5);
          assertSequence(again, "after the disconnect");
        } finally {
          sub.close();
        }
      });

      await t.step(
        "after the abuse the agent still serves at the sensor's rate",
        async () => {
          assert.equal(agent.exited(), false, "the agent is alive");
          const rows = await requestResources(node, target);
          assert.equal(rows.length, 5);
          const sub = await Subscription.open(node, target, {
            resourceId: "sim_uwb",
          }, OPEN);
          try {
            const started = performance.now();
            const entries = await collectUntil(
              sub,
              () => performance.now() - started >= 1_500,
              10_000,
            );
            assertSequence(entries, "sim_uwb");
            // 10 Hz for 1.5 s is 15 entries; allow for a loaded machine.
            assert.ok(
              entries.length >= 8,
              `${entries.length} sim_uwb entries in 1.5 s`,
            );
          } finally {
            sub.close();
          }
          assert.equal(agent.exited(), false, "the agent is still alive");
        },
      );
    });
  } finally {
    assert.equal(await agent.stop(), 0, "clean exit after the abuse");
  }
});

/** Reads camera frames from a raw subscription until `until` says stop. */
async function readCamera(
  reader: FrameReader,
  until: (
    frame: { seq: bigint; timestampNs: bigint; index: number },
  ) => boolean,
  signal: AbortSignal,
): Promise<{ seq: bigint; timestampNs: bigint; index: number }[]> {
  const frames = [];
  for (;;) {
    const body = await reader.read(signal);
    assert.ok(body, "the camera subscription continues");
    const message = decodeStreamMessage(body);
    assert.equal(message.variant.case, "entry");
    const { seq, timestampNs, payload } = message.variant.value;
    const index = frameIndexOf(fromBinary(CameraFrameSchema, payload).frame);
    const frame = { seq, timestampNs, index };
    frames.push(frame);
    if (until(frame)) return frames;
  }
}

Deno.test("a subscriber that stops reading stalls neither the sensor nor others", async () => {
  // 320x240 rgb8 frames of 230 KB at 15 Hz: the paused subscriber is soon
  // held back by yamux flow control, and falls out of a 1 MiB cache.
  const agent = await startAgent({
    config: {
      sensors: [
        { driver: "sim.camera", width: 320, height: 240, cache_mb: 1 },
        { driver: "sim.joints" },
      ],
    },
  });
  try {
    await withClient(async (node: Libp2p) => {
      const target = agent.address;
      const slow = await node.dialProtocol(target, STREAM);
      const reader = new FrameReader(slow, STREAM_LIMITS);
      try {
        slow.send(streamRequestFrame("sim_camera"));
        const accept = await reader.read(AbortSignal.timeout(5_000));
        assert.equal(decodeStreamMessage(accept!).variant.case, "accept");
        const signal = AbortSignal.timeout(30_000);
        const before = await readCamera(reader, (f) => f.seq >= 2n, signal);
        // Stop reading: the receive window stays closed.
        slow.pause();
        const rowsBefore = await requestResources(node, target);
        const joints = await Subscription.open(node, target, {
          resourceId: "sim_joints",
        }, OPEN);
        let live;
        try {
          const started = performance.now();
          live = await collectUntil(
            joints,
            () => performance.now() - started >= 2_000,
            10_000,
          );
        } finally {
          joints.close();
        }
        assertSequence(live, "joints beside a stalled camera subscriber");
        // 100 Hz for 2 s is 200 entries; allow for a loaded machine.
        assert.ok(live.length >= 120, `${live.length} joint entries in 2 s`);
        const rowsAfter = await requestResources(node, target);
        const grown =
          Number(rowOf(rowsAfter, { id: "sim_camera" }).available.entries) -
          Number(rowOf(rowsBefore, { id: "sim_camera" }).available.entries);
        // 15 Hz for at least 2 s is 30 frames.
        assert.ok(
          grown >= 20,
          `the camera log grew by ${grown} frames while its subscriber paused`,
        );
        assert.equal(agent.exited(), false);

        // Resumed, the slow subscriber catches up from the log without a gap.
        const resumedAt = utcNowNs();
        slow.resume();
        const after = await readCamera(
          reader,
          (f) => f.timestampNs >= resumedAt,
          signal,
        );
        const frames = [...before, ...after];
        frames.forEach((f, i) => {
          assert.equal(f.seq, BigInt(i), `camera seq ${i}`);
          if (i > 0) {
            assert.equal(
              f.index,
              frames[i - 1].index + 1,
              `camera frame ${i} follows`,
            );
          }
        });
        assert.ok(
          after.length >= 20,
          `caught up through ${after.length} frames`,
        );
      } finally {
        if (slow.status === "open") slow.abort(new Error("done"));
      }
    });
  } finally {
    await agent.stop();
  }
});
