import { withClient } from "../../cli/client.ts";
/**
 * End to end: `/auki/stream/0.2.0` against real `auki-edge run` processes:
 * every stream kind from every read position, declines, shared resources,
 * shutdown, restart and crash recovery.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { ResourceEntry } from "../../agent/catalog/resource_entry.ts";
import type { ReadFrom } from "../../agent/logs/log.ts";
import { requestInfo } from "../../agent/protocols/info.ts";
import {
  type ReceivedEntry,
  StreamDeclinedError,
  Subscription,
} from "../../agent/protocols/stream_consumer.ts";
import { CameraFrameSchema } from "../../core/proto/gen/auki/camera_pb.ts";
import { TimeTransformEntrySchema } from "../../core/proto/gen/auki/time_transform_pb.ts";
import { UwbFrameSchema } from "../../core/proto/gen/auki_edge/rf_pb.ts";
import { PointCloudDataSchema } from "../../core/proto/payload_schemas.ts";
import { RegistryRef } from "../../core/registries/entries.ts";
import {
  frameIndexOf,
  renderTestPattern,
} from "../../drivers/camera/test_pattern.ts";
import { packPoints, POINT_STEP } from "../../drivers/rangefinder/lidar2d.ts";
import {
  MAX_RANGE_M,
  POINTS_PER_SCAN,
  simulateScan,
} from "../../drivers/rangefinder/sim_lidar2d.ts";
import { DEFAULT_ANCHORS, simulateUwb } from "../../drivers/rf/sim_uwb.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import {
  assertSequence,
  collect,
  collectUntil,
  isJointSample,
  rowOf,
  SMALL_SIMS,
  utcNowNs,
} from "./_helpers.ts";
import { delay } from "../helpers/wait.ts";
import { requestResources } from "../../agent/protocols/resources.ts";

const OPEN = { timeoutMs: 10_000 };

/** What a stream kind's entries must look like. */
interface Kind {
  /** Catalog match of its row. */
  match: { id?: string; variant?: string };
  /** Manifest payload kind. */
  payload: string;
  /** Manifest expected rate. */
  rateHz: number;
  /**
   * Checks one payload and returns the simulator sample index it holds
   * (searched up to `maxIndex`; `expected` when given must match), or
   * `undefined` for logs without one.
   */
  check(
    payload: Uint8Array,
    expected: number | undefined,
    maxIndex: number,
  ): number | undefined;
}

function searchIndex(
  matches: (index: number) => boolean,
  expected: number | undefined,
  maxIndex: number,
  what: string,
): number {
  if (expected !== undefined) {
    assert.ok(matches(expected), `${what}: not sample ${expected}`);
    return expected;
  }
  for (let k = 0; k <= maxIndex; k++) if (matches(k)) return k;
  assert.fail(`${what}: matches no sample in 0..${maxIndex}`);
}

const CAMERA: Kind = {
  match: { id: "sim_camera" },
  payload: "camera_frame",
  rateHz: 15,
  check(payload, expected) {
    const { frame, dynamicIntrinsics } = fromBinary(CameraFrameSchema, payload);
    assert.equal(dynamicIntrinsics, undefined);
    assert.equal(frame.byteLength, 64 * 48 * 3);
    const index = frameIndexOf(frame);
    if (expected !== undefined) {
      assert.equal(index, expected, "camera frame index");
    }
    assert.ok(
      sameBytes(frame, renderTestPattern(64, 48, 1, index)),
      `camera frame ${index} is the test pattern`,
    );
    return index;
  },
};

const LIDAR: Kind = {
  match: { id: "sim_lidar" },
  payload: "point_cloud_frame",
  rateHz: 10,
  check(payload, expected, maxIndex) {
    const { data } = fromBinary(PointCloudDataSchema, payload);
    assert.equal(data.byteLength, POINTS_PER_SCAN * POINT_STEP);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < POINTS_PER_SCAN; i++) {
      const x = view.getFloat32(i * POINT_STEP, true);
      const y = view.getFloat32(i * POINT_STEP + 4, true);
      const z = view.getFloat32(i * POINT_STEP + 8, true);
      const intensity = view.getFloat32(i * POINT_STEP + 12, true);
      const range = Math.hypot(x, y);
      assert.equal(z, 0);
      assert.ok(
        range > 0.05 && range <= MAX_RANGE_M + 1e-3,
        `lidar range ${range}`,
      );
      assert.ok(
        intensity >= 0 && intensity <= 1,
        `lidar intensity ${intensity}`,
      );
      // Beam i points i degrees counter-clockwise from forward.
      const bearing = (Math.atan2(y, x) * 180 / Math.PI + 360) % 360;
      assert.ok(
        Math.abs(bearing - i) < 1e-3 || Math.abs(bearing - i) > 359.999,
        `beam ${i} bearing`,
      );
    }
    return searchIndex(
      (k) => sameBytes(packPoints(simulateScan(1, k, 10)), data),
      expected,
      maxIndex,
      "lidar scan",
    );
  },
};

const UWB: Kind = {
  match: { id: "sim_uwb" },
  payload: "auki_edge.rf.uwb",
  rateHz: 10,
  check(payload, expected, maxIndex) {
    const frame = fromBinary(UwbFrameSchema, payload);
    assert.deepEqual(
      frame.ranges.map((r) => r.anchorId),
      DEFAULT_ANCHORS.map((a) => a.id),
    );
    for (const range of frame.ranges) {
      assert.ok(
        range.distanceM > 0 && range.distanceM < 11,
        `uwb range ${range.distanceM}`,
      );
      assert.ok(range.quality >= 0 && range.quality <= 100);
    }
    const p = frame.position!;
    assert.ok(
      p.x > -0.5 && p.x < 8.5 && p.y > -0.5 && p.y < 6.5,
      "uwb tag in the room",
    );
    assert.ok(Math.abs(p.z - 1) < 0.5, "uwb tag 1 m up");
    return searchIndex(
      (k) =>
        sameBytes(
          toBinary(UwbFrameSchema, simulateUwb(1, DEFAULT_ANCHORS, k, 10)),
          payload,
        ),
      expected,
      maxIndex,
      "uwb frame",
    );
  },
};

const JOINTS: Kind = {
  match: { id: "sim_joints" },
  payload: "joint_encoders_frame",
  rateHz: 100,
  check(payload, expected, maxIndex) {
    return searchIndex(
      (k) => isJointSample(payload, k),
      expected,
      maxIndex,
      "joint angles",
    );
  },
};

const TIME_TRANSFORM: Kind = {
  match: { variant: "time_transform_log" },
  payload: "time_transform",
  rateHz: 0,
  check(payload) {
    const { offsetNs, uncertaintyNs } = fromBinary(
      TimeTransformEntrySchema,
      payload,
    );
    // Session time plus the offset is UTC: the agent started within the last minute.
    const startedAtNs = offsetNs;
    const now = utcNowNs();
    assert.ok(
      startedAtNs <= now && startedAtNs > now - 60_000_000_000n,
      `offset ${offsetNs}`,
    );
    assert.ok(uncertaintyNs < 100_000_000, `uncertainty ${uncertaintyNs} ns`);
    return undefined;
  },
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

function key(entry: ReceivedEntry): string {
  return `${entry.timestampNs}:${
    Array.from(entry.payload.subarray(0, 64)).join(",")
  }:${entry.payload.byteLength}`;
}

function assertSameEntry(
  actual: ReceivedEntry,
  expected: ReceivedEntry,
  what: string,
): void {
  assert.equal(actual.timestampNs, expected.timestampNs, `${what}: timestamp`);
  assert.ok(sameBytes(actual.payload, expected.payload), `${what}: payload`);
}

function assertManifest(
  sub: Subscription,
  row: ResourceEntry,
  kind: Kind,
): void {
  const m = sub.manifest;
  assert.equal(m.resourceId, row.resource_id);
  assert.equal(m.payload, kind.payload);
  assert.equal(m.expectedRateHz, kind.rateHz);
  const clock = RegistryRef.parse(
    row.variant === "sensor_log" ? row.manifest.clock : row.manifest.from_clock,
  );
  assert.equal(m.clockId, clock.id);
  assert.equal(m.clockHash, clock.hash);
  assert.equal(m.clockPeerId, clock.peer_id);
  if (row.variant === "sensor_log") {
    const frame = RegistryRef.parse(row.manifest.frame);
    assert.equal(m.sensorId, row.sensor!.sensor_id);
    assert.equal(m.sensorHash, row.sensor!.sensor_hash);
    assert.equal(m.frameId, frame.id);
    assert.equal(m.frameHash, frame.hash);
  } else {
    assert.equal(m.sensorId, "");
    assert.equal(m.sensorHash, "");
    assert.equal(m.frameId, "");
  }
  for (
    const unused of [
      "fromFrameId",
      "toFrameId",
      "writerMode",
      "mapId",
      "mapPeerId",
    ] as const
  ) {
    assert.equal(m[unused], "", unused);
  }
}

/** Checks payloads and that consecutive entries hold consecutive samples. */
function checkPayloads(
  kind: Kind,
  entries: ReceivedEntry[],
  maxIndex: number,
  firstIndex?: number,
): number | undefined {
  let index: number | undefined = firstIndex;
  let first: number | undefined;
  entries.forEach((entry, i) => {
    const found = kind.check(entry.payload, index, maxIndex);
    if (i === 0) first = found;
    index = found === undefined ? undefined : found + 1;
  });
  return first;
}

async function open(
  node: Libp2p,
  target: Multiaddr,
  resourceId: string,
  from: ReadFrom,
): Promise<Subscription> {
  return await Subscription.open(node, target, { resourceId, from }, OPEN);
}

Deno.test("every stream kind from every read position", async (t) => {
  const startedMs = Date.now();
  const agent = await startAgent({ config: SMALL_SIMS });
  try {
    await withClient(async (node) => {
      const target = agent.address;
      // Let every log build up some history (the time transform samples at 1 Hz).
      await delay(2_200);
      for (
        const [name, kind] of Object.entries({
          CAMERA,
          LIDAR,
          UWB,
          JOINTS,
          TIME_TRANSFORM,
        })
      ) {
        await t.step(name, async () => {
          const utc = kind !== TIME_TRANSFORM;
          const now = async () =>
            utc ? utcNowNs() : (await requestInfo(node, target)).session_now_ns;
          const maxIndex = () =>
            Math.ceil((Date.now() - startedMs) / 1000 * kind.rateHz) + 20;
          const subs: Subscription[] = [];
          try {
            // from_start: the oldest retained entry first.
            const row = rowOf(await requestResources(node, target), kind.match);
            const catalogAt = await now();
            const start = await open(node, target, row.resource_id, {
              kind: "start",
            });
            subs.push(start);
            assertManifest(start, row, kind);
            const history = Math.min(Number(row.available.entries), 300);
            assert.ok(
              history >= 3,
              `${name} has ${history} entries of history`,
            );
            const fromStart = await collect(start, history);
            assertSequence(fromStart, `${name} from_start`);
            assert.ok(
              fromStart[0].timestampNs <= catalogAt - row.available.duration_ns,
              `${name} from_start begins at or before the row's available range`,
            );
            const firstIndex = checkPayloads(kind, fromStart, maxIndex());
            if (utc) {
              assert.equal(
                firstIndex,
                0,
                `${name} from_start begins at the first sample`,
              );
            }

            // latest: only entries appended after subscribing.
            const subscribedAt = await now();
            const latest = await open(node, target, row.resource_id, {
              kind: "latest",
            });
            subs.push(latest);
            assertManifest(latest, row, kind);
            const live = await collect(latest, utc ? 3 : 2);
            assertSequence(live, `${name} latest`);
            assert.ok(
              live[0].timestampNs >= subscribedAt,
              `${name} latest begins after subscribing`,
            );
            const liveIndex = checkPayloads(kind, live, maxIndex());
            if (utc) assert.ok(liveIndex! > firstIndex! + history - 1);

            // from_timestamp: compared with the from_start subscription.
            let b = Math.floor(fromStart.length / 2);
            while (fromStart[b].timestampNs === fromStart[b - 1].timestampNs) {
              b++;
            }
            const positions: [string, bigint, number][] = [
              ["exact", fromStart[b].timestampNs, b],
              ["between", fromStart[b - 1].timestampNs + 1n, b],
              ["oldest", fromStart[0].timestampNs, 0],
            ];
            for (const [what, timestampNs, expected] of positions) {
              const sub = await open(node, target, row.resource_id, {
                kind: "timestamp",
                timestampNs,
              });
              subs.push(sub);
              assertManifest(sub, row, kind);
              const got = await collect(
                sub,
                Math.min(3, fromStart.length - expected),
              );
              assertSequence(got, `${name} from_timestamp ${what}`);
              assert.ok(
                got[0].timestampNs >= timestampNs,
                `${name} ${what}: first >= T`,
              );
              if (expected > 0) {
                assert.ok(
                  fromStart[expected - 1].timestampNs < timestampNs,
                  `${name} ${what}: the entry before the first is < T`,
                );
              }
              got.forEach((entry, i) =>
                assertSameEntry(
                  entry,
                  fromStart[expected + i],
                  `${name} from_timestamp ${what} #${i}`,
                )
              );
            }
          } finally {
            for (const sub of subs) sub.close();
          }
        });
      }

      await t.step("declines", async () => {
        const expectDecline = async (
          resourceId: string,
          sourcePeerId: string,
        ) => {
          await assert.rejects(
            Subscription.open(node, target, { resourceId, sourcePeerId }, OPEN),
            (error) =>
              error instanceof StreamDeclinedError &&
              error.reason === "sensorNotFound",
            `${resourceId} from "${sourcePeerId}" is declined with sensor_not_found`,
          );
        };
        await expectDecline("no_such_sensor", "");
        await expectDecline("no_such_sensor", agent.peerId);
        await expectDecline("sim_joints", node.peerId.toString());
        await expectDecline("sim_joints", "galbot");
        await expectDecline("SIM_JOINTS", "");
        for (const source of ["", agent.peerId]) {
          const sub = await Subscription.open(
            node,
            target,
            { resourceId: "sim_joints", sourcePeerId: source },
            OPEN,
          );
          try {
            assert.equal(sub.manifest.resourceId, "sim_joints");
            assert.equal((await collect(sub, 2)).length, 2);
          } finally {
            sub.close();
          }
        }
        await agent.waitForStderr(
          /"no_such_sensor".*declined with sensor_not_found/,
        );
      });

      await t.step("two subscribers get the same entries", async () => {
        const since = utcNowNs() - 200_000_000n;
        const from: ReadFrom = { kind: "timestamp", timestampNs: since };
        const [a, b] = await Promise.all([
          open(node, target, "sim_joints", from),
          open(node, target, "sim_joints", from),
        ]);
        const [c, d] = await Promise.all([
          open(node, target, "sim_joints", { kind: "latest" }),
          open(node, target, "sim_joints", { kind: "latest" }),
        ]);
        try {
          const [ea, eb, ec, ed] = await Promise.all([
            collect(a, 40),
            collect(b, 40),
            collect(c, 30),
            collect(d, 30),
          ]);
          for (
            const [what, entries] of [["a", ea], ["b", eb], ["c", ec], [
              "d",
              ed,
            ]] as const
          ) {
            assertSequence(entries, what);
          }
          assert.ok(ea[0].timestampNs >= since);
          ea.forEach((entry, i) =>
            assertSameEntry(eb[i], entry, `from_timestamp #${i}`)
          );
          checkPayloads(
            JOINTS,
            ea,
            Math.ceil((Date.now() - startedMs) / 10) + 20,
          );
          // Two live subscribers: identical from the later one's first entry.
          const [early, late] = ec[0].timestampNs <= ed[0].timestampNs
            ? [ec, ed]
            : [ed, ec];
          const at = early.findIndex((e) => key(e) === key(late[0]));
          assert.ok(
            at >= 0 && at < 20,
            `the later subscriber's first entry is among the earlier's (${at})`,
          );
          for (let i = 0; at + i < early.length; i++) {
            assertSameEntry(late[i], early[at + i], `latest #${i}`);
          }
        } finally {
          for (const sub of [a, b, c, d]) sub.close();
        }
      });
    });
  } finally {
    await agent.stop();
  }
});

/** Reads until the subscription ends. */
async function readToEnd(
  sub: Subscription,
  timeoutMs = 15_000,
): Promise<ReceivedEntry[]> {
  const received: ReceivedEntry[] = [];
  for await (const entry of sub.entries(AbortSignal.timeout(timeoutMs))) {
    received.push(entry);
  }
  return received;
}

Deno.test("shutdown, restart and kill -9 keep the recorded log", async () => {
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-e2e-restart-" });
  const args = ["--sim", "joints"];
  let agent = await startAgent({ storage, args });
  const peerId = agent.peerId;
  try {
    await withClient(async (node) => {
      // Run 1: a from_start subscriber sees SIGTERM as producer_shutting_down.
      await delay(300);
      const first = await open(node, agent.address, "sim_joints", {
        kind: "start",
      });
      const head = await collect(first, 50);
      const rest = readToEnd(first);
      assert.equal(await agent.stop(), 0, "SIGTERM exits 0");
      const run1 = [...head, ...await rest];
      assert.equal(first.end?.kind, "producerShuttingDown");
      assertSequence(run1, "run 1");
      checkPayloads(JOINTS, run1, 0, 0);
      assert.match(agent.stderr(), /shutting down/);
      assert.match(agent.stderr(), /ended with producer_shutting_down/);

      // Run 2: same identity, the old entries first, then new ones; seq from 0.
      const restartAt = utcNowNs();
      agent = await startAgent({ storage, args });
      assert.equal(agent.peerId, peerId, "same seed, same peer id");
      const second = await open(node, agent.address, "sim_joints", {
        kind: "start",
      });
      const replay = await collectUntil(
        second,
        (r) =>
          r.length > run1.length && r.at(-1)!.timestampNs >= restartAt &&
          r.length >= run1.length + 30,
      );
      assertSequence(replay, "run 2 from_start");
      run1.forEach((entry, i) =>
        assertSameEntry(replay[i], entry, `replayed run-1 entry ${i}`)
      );
      const before = replay.findIndex((e) => e.timestampNs >= restartAt);
      assert.ok(
        before >= run1.length,
        "every run-1 entry comes before the restart",
      );
      checkPayloads(JOINTS, replay.slice(0, before), 0, 0);
      // The simulator restarts at sample 0 in the new run.
      checkPayloads(JOINTS, replay.slice(before), 0, 0);

      // Run 2 ends with kill -9 while `second` keeps reading live entries.
      const live = readToEnd(second);
      await delay(800);
      await agent.kill();
      const killedAt = utcNowNs();
      const run2Tail = await live;
      assert.equal(second.end?.kind, "connectionLost");
      const run2 = [...replay, ...run2Tail].filter((e) =>
        e.timestampNs >= restartAt
      );
      assert.ok(run2.length >= 50, `run 2 recorded ${run2.length} entries`);
      assert.ok(
        run2.every((e) => e.timestampNs <= killedAt),
        "run 2 entries were recorded before the kill",
      );

      // Run 3: what was recorded up to the kill is still there.
      const restart2At = utcNowNs();
      agent = await startAgent({ storage, args });
      assert.equal(agent.peerId, peerId);
      const third = await open(node, agent.address, "sim_joints", {
        kind: "start",
      });
      try {
        const after = await collectUntil(
          third,
          (r) => r.length > 0 && r.at(-1)!.timestampNs >= restart2At,
        );
        assertSequence(after, "run 3 from_start");
        const kept = new Set(after.map(key));
        const lost = run2.filter((e) => !kept.has(key(e)));
        assert.ok(
          lost.length <= 1,
          `${lost.length} of ${run2.length} entries lost by kill -9`,
        );
        run1.forEach((entry, i) =>
          assertSameEntry(after[i], entry, `run-1 entry ${i} after the crash`)
        );
      } finally {
        third.close();
      }
    });
  } finally {
    await agent.stop();
    await Deno.remove(storage, { recursive: true });
  }
});
