/**
 * End to end: native drivers loaded for real through FFI inside `auki-edge
 * run` processes, streamed to a subscriber over `/auki/stream/0.2.0`; a
 * hanging or failing driver next to a healthy sensor; libraries the agent
 * refuses while it keeps serving the rest; failed reads in `status --json`.
 */
import assert from "node:assert/strict";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { withClient } from "../../../cli/client.ts";
import { requestInfo } from "../../../agent/protocols/info.ts";
import { Subscription } from "../../../agent/protocols/stream_consumer.ts";
import type { ResourceEntry } from "../../../agent/catalog/resource_entry.ts";
import { runCli, startAgent } from "../../../scripts/harness/agent_process.ts";
import type { AgentStatus } from "../../../agent/status_file.ts";
import { assertSequence, collect, collectUntil } from "../../e2e/_helpers.ts";
import { delay } from "../../helpers/wait.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { ffiTest, lib } from "../../ffi/_libs.ts";
import {
  checkCamera,
  checkLidar,
  findIndex,
  isJointSample,
  isUwbCycle,
} from "./_reference.ts";

const OPEN = { timeoutMs: 10_000 };

/** Waits until every id in `ids` has a catalog row; returns the rows. */
async function rowsOnline(
  node: Libp2p,
  target: Multiaddr,
  ids: string[],
  timeoutMs = 10_000,
): Promise<ResourceEntry[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await requestResources(node, target);
    if (ids.every((id) => rows.some((r) => r.resource_id === id))) return rows;
    if (Date.now() > until) {
      assert.fail(
        `rows ${ids} not all online; have ${rows.map((r) => r.resource_id)}`,
      );
    }
    await delay(100);
  }
}

ffiTest(
  "native e2e: every reference driver streams its checked values to a subscriber",
  async () => {
    const agent = await startAgent({
      config: {
        sensors: [
          {
            driver: "native",
            id: "ref_cam",
            library: lib("ref_camera"),
            config: { width: 64, height: 48, rate_hz: 15, row_padding: 4 },
          },
          {
            driver: "native",
            id: "ref_lidar",
            library: "ref_lidar2d",
            config: { points: 180, rate_hz: 10 },
          },
          { driver: "native", id: "ref_uwb", library: lib("ref_uwb") },
          {
            driver: "native",
            id: "ref_joints",
            library: lib("ref_joints"),
            config: { joint_count: 6, rate_hz: 100 },
          },
        ],
      },
    });
    try {
      await withClient(async (node) => {
        const rows = await rowsOnline(node, agent.address, [
          "ref_cam",
          "ref_lidar",
          "ref_uwb",
          "ref_joints",
        ]);
        const kinds = Object.fromEntries(
          rows.filter((r) => r.variant === "sensor_log").map((r) => [
            r.resource_id,
            `${r.sensor?.kind}/${r.sensor?.type}`,
          ]),
        );
        assert.deepEqual(kinds, {
          ref_cam: "camera/rgb",
          ref_lidar: "rangefinder/2d_lidar",
          ref_uwb: "rf/uwb",
          ref_joints: "joint_encoders/absolute",
        });
        const subscribe = async (resourceId: string, count: number) => {
          const sub = await Subscription.open(node, agent.address, {
            resourceId,
          }, OPEN);
          const entries = await collect(sub, count);
          sub.close();
          assertSequence(entries, resourceId);
          return { manifest: sub.manifest, entries };
        };

        const cam = await subscribe("ref_cam", 5);
        assert.equal(cam.manifest.payload, "camera_frame");
        const frames = cam.entries.map((e) =>
          checkCamera(e.payload, 64, 48, 4)
        );
        frames.forEach((k, i) => assert.equal(k, frames[0] + i));

        const lidar = await subscribe("ref_lidar", 3);
        assert.equal(lidar.manifest.payload, "point_cloud_frame");
        const scans = lidar.entries.map((e) => checkLidar(e.payload, 180));
        scans.forEach((k, i) => assert.equal(k, scans[0] + i));

        const uwb = await subscribe("ref_uwb", 3);
        assert.equal(uwb.manifest.payload, "auki_edge.rf.uwb");
        const cycle = findIndex(
          (k) => isUwbCycle(uwb.entries[0].payload, 10, k),
          1000,
          "uwb",
        );
        uwb.entries.forEach((e, i) =>
          assert.ok(isUwbCycle(e.payload, 10, cycle + i))
        );

        const joints = await subscribe("ref_joints", 20);
        assert.equal(joints.manifest.payload, "joint_encoders_frame");
        const k0 = findIndex(
          (k) => isJointSample(joints.entries[0].payload, 6, 100, k),
          10_000,
          "joints",
        );
        joints.entries.forEach((e, i) =>
          assert.ok(isJointSample(e.payload, 6, 100, k0 + i), `joint ${k0 + i}`)
        );
      });
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  },
);

ffiTest(
  "native e2e: a hanging and a failing driver never slow another sensor or the agent",
  async () => {
    const agent = await startAgent({
      config: {
        sensors: [
          {
            driver: "native",
            id: "hangs",
            library: lib("fault_hang"),
            read_timeout_ms: 200,
          },
          { driver: "native", id: "fails", library: lib("fault_error") },
          {
            driver: "native",
            id: "lies",
            library: lib("fault_liar"),
            config: { lie: "over" },
          },
          { driver: "sim.joints", rate_hz: 100 },
        ],
      },
    });
    try {
      await agent.waitForStderr(
        /libauki_fault_hang\.so: aed_read hung/,
        10_000,
      );
      await withClient(async (node) => {
        const sub = await Subscription.open(node, agent.address, {
          resourceId: "sim_joints",
        }, OPEN);
        const started = performance.now();
        const entries = await collectUntil(
          sub,
          () => performance.now() - started >= 2_000,
          5_000,
        );
        sub.close();
        assert.ok(
          entries.length >= 180,
          `${entries.length} joint samples in 2 s at 100 Hz`,
        );
        assertSequence(entries, "sim_joints");
        for (let i = 0; i < 5; i++) {
          const asked = performance.now();
          const info = await requestInfo(node, agent.address);
          const rows = await requestResources(node, agent.address);
          const ms = performance.now() - asked;
          assert.equal(info.peer_id, agent.peerId);
          assert.deepEqual(
            rows.filter((r) => r.variant === "sensor_log").map((r) =>
              r.resource_id
            ),
            ["sim_joints"],
          );
          assert.ok(ms < 500, `info and catalog took ${ms.toFixed(0)} ms`);
        }
      });
      const stderr = agent.stderr();
      assert.match(
        stderr,
        /libauki_fault_error\.so: 3 failed reads in a row, the last: aed_read failed: simulated fault E1/,
      );
      assert.match(
        stderr,
        /libauki_fault_liar\.so: .*aed_read returned \d+ bytes for a \d+-byte buffer/,
      );
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  },
);

ffiTest(
  "native e2e: a failing driver's row leaves the catalog and returns on the same resource after a backoff",
  async () => {
    const agent = await startAgent({
      config: {
        sensors: [{
          driver: "native",
          id: "flaky",
          library: lib("fault_error"),
          config: { good_reads: 25, rate_hz: 50 },
          retry_min_ms: 700,
          retry_max_ms: 700,
        }],
      },
    });
    try {
      await withClient(async (node) => {
        const flaky = async () =>
          (await requestResources(node, agent.address)).find((r) =>
            r.resource_id === "flaky"
          );
        /** Polls until the row's presence is `present`; returns the row and when. */
        const until = async (present: boolean) => {
          const deadline = performance.now() + 10_000;
          for (;;) {
            const row = await flaky();
            if ((row !== undefined) === present) {
              return { row, at: performance.now() };
            }
            if (performance.now() > deadline) {
              assert.fail(`the row was not ${present ? "back" : "gone"}`);
            }
            await delay(50);
          }
        };
        const first = await until(true);
        const gone = await until(false);
        const back = await until(true);
        assert.ok(
          back.at - gone.at >= 500,
          `back ${(back.at - gone.at).toFixed(0)} ms after it went`,
        );
        assert.equal(back.row?.resource_id, first.row?.resource_id);
        assert.deepEqual(back.row?.sensor, first.row?.sensor);
      });
      assert.match(
        agent.stderr(),
        /libauki_fault_error\.so: 3 failed reads in a row, the last: aed_read failed: simulated fault E1 after 25 reads; reopening in 700 ms/,
      );
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  },
);

ffiTest(
  "native e2e: libraries the agent cannot host are named and the other sensors run",
  async () => {
    const agent = await startAgent({
      config: {
        sensors: [
          {
            driver: "native",
            id: "missing",
            library: "/opt/none/libvendor.so",
          },
          { driver: "native", id: "future", library: lib("fault_abi") },
          { driver: "native", id: "partial", library: lib("fault_nosym") },
          {
            driver: "native",
            id: "rejected",
            library: lib("ref_camera"),
            config: { rate_hz: 0 },
          },
          { driver: "sim.joints" },
        ],
      },
    });
    try {
      const stderr = agent.stderr();
      for (
        const expected of [
          /sensor "missing" failed to prepare: Error: native driver \/opt\/none\/libvendor\.so: \/opt\/none\/libvendor\.so does not exist/,
          /sensor "future" failed to prepare: .*libauki_fault_abi\.so implements driver ABI version 99/,
          /sensor "partial" failed to prepare: .*undefined symbol: aed_/,
          /sensor "rejected" failed to prepare: .*the driver rejects its config: setting "rate_hz" must be between 0\.01 and 1000, got 0/,
        ]
      ) assert.match(stderr, expected);
      await withClient(async (node) => {
        const rows = await rowsOnline(node, agent.address, ["sim_joints"]);
        assert.deepEqual(
          rows.filter((r) => r.variant === "sensor_log").map((r) =>
            r.resource_id
          ),
          ["sim_joints"],
        );
        const sub = await Subscription.open(node, agent.address, {
          resourceId: "sim_joints",
        }, OPEN);
        assertSequence(await collect(sub, 10), "sim_joints");
        sub.close();
      });
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  },
);

ffiTest(
  "native e2e: failed reads a session survives show in status --json; a raw 4K camera is refused by name",
  async () => {
    const agent = await startAgent({
      config: {
        sensors: [
          {
            driver: "native",
            id: "glitchy",
            library: lib("fault_error"),
            config: { fail_every: 10, rate_hz: 50 },
          },
          {
            driver: "native",
            id: "huge",
            library: lib("fault_liar"),
            config: { describe: "raw_4k" },
          },
        ],
      },
    });
    try {
      assert.match(
        agent.stderr(),
        /sensor "huge" failed to prepare: .*its samples of 24883200 bytes cannot fit a stream frame/,
      );
      let status: AgentStatus | undefined;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const result = await runCli([
          "status",
          "--storage",
          agent.storage,
          "--json",
        ]);
        assert.equal(result.code, 0, result.stderr);
        status = JSON.parse(result.stdout) as AgentStatus;
        if ((status.sensors[0]?.read_failures ?? 0) >= 3) break;
        assert.ok(Date.now() < deadline, JSON.stringify(status.sensors));
        await delay(200);
      }
      // Every configured sensor is listed: the refused one offline, with why.
      assert.deepEqual(status.sensors.map((s) => s.id), ["glitchy", "huge"]);
      const [glitchy, huge] = status.sensors;
      assert.equal(glitchy.online, true);
      assert.equal(huge.online, false);
      assert.match(huge.reason ?? "", /cannot fit a stream frame/);
      assert.match(
        glitchy.last_read_failure ?? "",
        /^aed_read failed: simulated glitch at read \d+0$/,
      );
      // Logged with the driver's text, rate-limited: one line so far.
      const lines = agent.stderr().split("\n").filter((l) =>
        l.includes("a failed read")
      );
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], /simulated glitch at read 10/);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  },
);
