import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { canonicalJson } from "../../../../core/codec/json.ts";
import { SpatialTransformSchema } from "../../../../core/proto/gen/auki/pose_pb.ts";
import { Subscription } from "../../../../agent/protocols/stream_consumer.ts";
import { RegistryRef } from "../../../../core/registries/entries.ts";
import { CalibrationStore } from "../../../../agent/calibration/store.ts";
import { DEFAULT_BOARD } from "../../../../calibration/board.ts";
import { quatFromRpy } from "../../../../calibration/geometry.ts";
import {
  boardToCamera,
  TargetPose,
} from "../../../../drivers/camera/sim_target.ts";
import {
  runCli,
  startAgent,
} from "../../../../scripts/harness/agent_process.ts";
import { collect } from "../../../e2e/_helpers.ts";
import { delay } from "../../../helpers/wait.ts";
import { requestResources } from "../../../../agent/protocols/resources.ts";
import { calibrate, client, storeIsEmpty } from "./_agent.ts";

const SENSORS = {
  sensors: [
    { driver: "sim.camera", id: "cam", width: 64, height: 48 },
    { driver: "sim.joints" },
  ],
};
const ID = "cam_optical->base_link";

/** The shape of the locked `catalog_row_pose_log_rigid_sealed` fixture (spec wire.md 5.2/5.3). */
function fixtureShape(row: Record<string, unknown>, values: {
  payloadBytes: number;
  peer: string;
  clock: RegistryRef;
  from: RegistryRef;
  to: RegistryRef;
  atNs: bigint;
}): string {
  return canonicalJson({
    available: { bytes: values.payloadBytes, duration_ns: 0, entries: 1 },
    extent: { start_at_ns: values.atNs, finish_at_ns: values.atNs },
    manifest: {
      clock: values.clock,
      expected_rate_hz: 0,
      from_frame: values.from,
      source: { kind: "manual" },
      to_frame: values.to,
    },
    pose: { writer_mode: "rigid" },
    resource_id: row.resource_id,
    source_peer_id: values.peer,
    state: "sealed",
    variant: "pose_log",
    writer_peer_id: values.peer,
  });
}

Deno.test("calibrate extrinsics publishes a sealed rigid pose_log live, in the canonical static-transform shape, across restarts", async () => {
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-cal-" });
  try {
    let agent = await startAgent({ storage, config: SENSORS });
    const dry = await calibrate([
      "extrinsics",
      "--from",
      "cam_optical",
      "--to",
      "base_link",
      "--translation",
      "0.1,0.02,0.5",
      "--rpy=-90,0,-90",
      "--degrees",
      "--storage",
      storage,
      "--dry-run",
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /will save to .*cam_optical-%3Ebase_link\.json/);
    assert.ok(await storeIsEmpty(storage));
    const run = await calibrate([
      "extrinsics",
      "--from",
      "cam_optical",
      "--to",
      "base_link",
      "--translation",
      "0.1,0.02,0.5",
      "--rpy=-90,0,-90",
      "--degrees",
      "--storage",
      storage,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const q = quatFromRpy(-Math.PI / 2, 0, -Math.PI / 2);
    for (let attempt = 0; attempt < 2; attempt++) {
      const row = await client(async (node) => {
        for (let i = 0; i < 40; i++) {
          const found = (await requestResources(node, agent.address)).find((
            r,
          ) => r.resource_id === ID);
          if (found) return found;
          await delay(100);
        }
        throw new Error(`no ${ID} row`);
      });
      const from = RegistryRef.parse(row.manifest.from_frame);
      const to = RegistryRef.parse(row.manifest.to_frame);
      const sensorFrames = (await client((n) =>
        requestResources(n, agent.address)
      ))
        .map((r) => RegistryRef.safeParse(r.manifest.frame))
        .flatMap((r) => r.success ? [r.data] : []);
      assert.deepEqual(sensorFrames.find((f) => f.id === "cam_optical"), from);
      assert.deepEqual(sensorFrames.find((f) => f.id === "base_link"), to);
      const extent = row.extent!;
      const entry = await client(async (node) => {
        const sub = await Subscription.open(node, agent.address, {
          resourceId: ID,
          from: { kind: "start" },
        });
        assert.equal(sub.manifest.payload, "spatial_transform");
        assert.equal(sub.manifest.writerMode, "rigid");
        assert.equal(sub.manifest.fromFrameHash, from.hash);
        assert.equal(sub.manifest.toFrameHash, to.hash);
        const [first] = await collect(sub, 1);
        sub.close();
        return first;
      });
      assert.equal(entry.timestampNs, extent.start_at_ns);
      assert.equal(
        canonicalJson(row),
        fixtureShape(row, {
          payloadBytes: entry.payload.byteLength,
          peer: agent.peerId,
          clock: RegistryRef.parse(row.manifest.clock),
          from,
          to,
          atNs: extent.start_at_ns,
        }),
      );
      const transform = fromBinary(SpatialTransformSchema, entry.payload);
      assert.deepEqual(
        [
          transform.translation!.x,
          transform.translation!.y,
          transform.translation!.z,
        ],
        [0.1, 0.02, 0.5],
      );
      const o = transform.orientation!;
      [o.x, o.y, o.z, o.w].forEach((v, i) =>
        assert.ok(Math.abs(v - q[i]) < 1e-12)
      );
      const frames = await runCli(["frames", agent.address.toString()]);
      assert.equal(frames.code, 0, frames.stderr);
      assert.ok(
        frames.stdout.startsWith(
          "base_link\n  cam_optical  t [0.1000, 0.0200, 0.5000]  q [-0.5000, 0.5000, -0.5000, 0.5000]  rpy [-90.00, 0.00, -90.00]°",
        ),
        frames.stdout,
      );
      await agent.stop();
      if (attempt === 0) agent = await startAgent({ storage, config: SENSORS });
    }
  } finally {
    await Deno.remove(storage, { recursive: true });
  }
});

Deno.test("calibrate extrinsics refuses a malformed transform and an unknown frame id, saving nothing", async () => {
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-cal-" });
  try {
    const base = ["extrinsics", "--storage", storage];
    const cases: [string[], RegExp][] = [
      [[
        "--from",
        "a",
        "--to",
        "b",
        "--from-preset",
        "ros_body",
        "--to-preset",
        "ros_body",
        "--translation",
        "1,2",
      ], /malformed transform: expects 3 comma-separated numbers, got 2/],
      [[
        "--from",
        "a",
        "--to",
        "b",
        "--from-preset",
        "ros_body",
        "--to-preset",
        "ros_body",
        "--quat",
        "0,0,0,0",
      ], /malformed transform: a quaternion must be finite and not zero/],
      [[
        "--from",
        "a",
        "--to",
        "b",
        "--from-preset",
        "ros_body",
        "--to-preset",
        "ros_body",
        "--rpy",
        "1,x,3",
      ], /malformed transform: "x" is not a finite number/],
      [[
        "--from",
        "a",
        "--to",
        "b",
        "--from-preset",
        "ros_body",
        "--to-preset",
        "ros_body",
        "--rpy",
        "0,0,0",
        "--quat",
        "0,0,0,1",
      ], /give --rpy or --quat, not both/],
      [
        ["--from", "nowhere", "--to", "b", "--to-preset", "ros_body"],
        /unknown frame id "nowhere" \(known: none\); give its preset/,
      ],
      [["--from", "a b", "--to", "b"], /--from: registry id "a b" contains/],
      [[
        "--from",
        "a",
        "--to",
        "a",
        "--from-preset",
        "ros_body",
        "--to-preset",
        "ros_body",
      ], /--from and --to name the same frame/],
    ];
    for (const [args, message] of cases) {
      const run = await calibrate([...base, ...args]);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
    assert.ok(await storeIsEmpty(storage));
  } finally {
    await Deno.remove(storage, { recursive: true });
  }
});

Deno.test("calibrate extrinsics --pnp recovers the board's pose in a calibrated camera, and refuses an uncalibrated one", async () => {
  const pose = { translation: [0.03, -0.02, 0.42], rpy_deg: [12, -18, 6] };
  const truth = boardToCamera(
    DEFAULT_BOARD,
    TargetPose.parse(pose),
  );
  const target = {
    poses: [pose],
    intrinsics: { fx: 600, fy: 602, cx: 321, cy: 238 },
  };
  const agent = await startAgent({
    config: {
      sensors: [
        {
          driver: "sim.camera",
          id: "cam",
          rate_hz: 5,
          target: { ...target, publish_truth: true },
        },
        { driver: "sim.camera", id: "raw", rate_hz: 5, target },
      ],
    },
  });
  try {
    const addr = agent.address.toString();
    const flags = ["--storage", agent.storage];
    const uncalibrated = await calibrate([
      "extrinsics",
      "--pnp",
      addr,
      "raw",
      ...flags,
    ]);
    assert.equal(uncalibrated.code, 1);
    assert.match(uncalibrated.stderr, /camera "raw" is not calibrated/);
    assert.ok(await storeIsEmpty(agent.storage));

    const run = await calibrate(["extrinsics", "--pnp", addr, "cam", ...flags]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /PnP on 20 markers, averaged over 5 frames: .* pose spread ±[\d.]+ mm, ±[\d.]+°/,
    );
    assert.match(run.stdout, /calibration_board->cam_optical: .*\(pnp\)/);
    const stored = await new CalibrationStore(agent.storage).get(
      "transforms",
      "calibration_board->cam_optical",
    );
    assert.ok(stored !== undefined);
    assert.equal(stored.method, "pnp");
    assert.equal(stored.to_frame.frame_id, "cam_optical");
    const errorMm = Math.hypot(
      ...stored.translation.map((v, i) => v - truth.translation[i]),
    ) * 1000;
    assert.ok(errorMm < 1, `board position off by ${errorMm} mm`);
    const dot = Math.abs(
      stored.rotation.reduce((s, v, i) => s + v * truth.rotation[i], 0),
    );
    const errorDeg = 2 * Math.acos(Math.min(1, dot)) * 180 / Math.PI;
    assert.ok(errorDeg < 0.2, `board rotation off by ${errorDeg}°`);
  } finally {
    await agent.stop();
  }
});
