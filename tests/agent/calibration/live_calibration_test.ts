import assert from "node:assert/strict";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { Subscription } from "../../../agent/protocols/stream_consumer.ts";
import { requestRegistryEntry } from "../../../agent/protocols/registries.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { CalibrationStore } from "../../../agent/calibration/store.ts";
import { withClient } from "../../../cli/client.ts";
import { SensorEntry } from "../../../core/registries/entries.ts";
import { JointEncodersDataSchema } from "../../../core/proto/payload_schemas.ts";
import { jointAngles } from "../../../drivers/joint_encoders/sim_joints.ts";
import {
  type AgentProcess,
  startAgent,
} from "../../../scripts/harness/agent_process.ts";
import { collect, JOINTS, rowOf } from "../../e2e/_helpers.ts";

const CALIBRATION = {
  fx: 150,
  fy: 151,
  cx: 80.5,
  cy: 60.25,
  distortion_coefficients: [0.1, -0.02, 0.003, -0.0004],
};

/** The sensor_hash of sensor `id`'s catalog row and the entry it names. */
function published(agent: AgentProcess, id: string) {
  return withClient(async (node) => {
    const row = rowOf(await requestResources(node, agent.address), { id });
    const fetched = await requestRegistryEntry(
      node,
      agent.address,
      "sensor",
      id,
      row.sensor!.sensor_hash,
    );
    return {
      hash: row.sensor!.sensor_hash,
      entry: SensorEntry.parse(fetched!.entry),
    };
  });
}

/** What sensor `id` publishes once its sensor_hash is no longer `hash`. */
async function until(agent: AgentProcess, id: string, hash: string) {
  for (let i = 0; i < 40; i++) {
    // The row is briefly absent while the sensor restarts.
    const now = await published(agent, id).catch(() => undefined);
    if (now !== undefined && now.hash !== hash) return now;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the sensor_hash did not change within 10 s");
}

Deno.test("a camera calibration saved or deleted while the agent runs is published without a restart, with a new sensor_hash", async () => {
  const agent = await startAgent({
    config: {
      sensors: [{ driver: "sim.camera", id: "cam", width: 160, height: 120 }],
    },
  });
  const store = new CalibrationStore(agent.storage);
  try {
    const before = await published(agent, "cam");
    await store.save("camera", "cam", {
      sensor_id: "cam",
      width: 160,
      height: 120,
      distortion_model: "equidistant",
      calibration: CALIBRATION,
      rms_px: 0.1,
      views: 12,
      saved_at: new Date().toISOString(),
    });
    const calibrated = await until(agent, "cam", before.hash);
    assert.equal(calibrated.entry.kind, "camera");
    if (calibrated.entry.kind !== "camera") return;
    assert.equal(calibrated.entry.distortion_model, "equidistant");
    assert.deepEqual(calibrated.entry.calibration, CALIBRATION);

    await store.delete("camera", "cam");
    const removed = await until(agent, "cam", calibrated.hash);
    assert.deepEqual(removed.entry, before.entry);
    assert.equal(removed.hash, before.hash);
  } finally {
    await agent.stop();
  }
});

Deno.test("joint offsets saved or deleted while the agent runs are applied without a restart: the entry shows them, the log is archived", async () => {
  // Configured offsets, which a stored calibration replaces (not adds to)
  // and a deleted one gives back, in the angles and the entry.
  const configured = [0.25, 0, 0, 0, 0, -0.5];
  const agent = await startAgent({
    config: {
      sensors: [{ driver: "sim.joints", still: true, offsets_rad: configured }],
    },
  });
  const store = new CalibrationStore(agent.storage);
  const raw = jointAngles(JOINTS.seed, JOINTS.count, 0, JOINTS.rateHz);
  /** One streamed sample's angles. */
  const streamed = () =>
    withClient(async (node) => {
      const sub = await Subscription.open(node, agent.address, {
        resourceId: "sim_joints",
      });
      const [entry] = await collect(sub, 1);
      sub.close();
      return [...fromBinary(JointEncodersDataSchema, entry.payload).anglesRad];
    });
  const archived = async () => {
    const dirs: string[] = [];
    const root = join(agent.storage, "archive", agent.peerId, "sim_joints");
    try {
      for await (const dir of Deno.readDir(root)) dirs.push(dir.name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return dirs.length;
  };
  try {
    const before = await published(agent, "sim_joints");
    assert.ok(before.entry.kind === "joint_encoders");
    // The configured offsets are in force, and the entry says so.
    assert.deepEqual(before.entry.joint_offsets_rad, configured);
    assert.deepEqual(before.entry.joint_directions, [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(
      await streamed(),
      raw.map((r, j) => Math.fround(r + configured[j])),
    );
    assert.equal(await archived(), 0);

    const offsets = [0.1, -0.2, 0.3, 0, 0.05, 1];
    const directions = [1, -1, 1, 1, -1, 1] as (1 | -1)[];
    await store.save("joints", "sim_joints", {
      sensor_id: "sim_joints",
      offsets_rad: offsets,
      directions,
      reference_rad: [0, 0, 0, 0, 0, 0],
      saved_at: new Date().toISOString(),
    });
    const calibrated = await until(agent, "sim_joints", before.hash);
    assert.ok(calibrated.entry.kind === "joint_encoders");
    assert.deepEqual(calibrated.entry.joint_offsets_rad, offsets);
    assert.deepEqual(calibrated.entry.joint_directions, directions);
    assert.deepEqual(
      await streamed(),
      raw.map((r, j) => Math.fround(directions[j] * r + offsets[j])),
    );
    assert.equal(await archived(), 1);
    await agent.waitForStderr(
      /joint_encoders "sim_joints": stored calibration changed, restarting it/,
    );

    await store.delete("joints", "sim_joints");
    const removed = await until(agent, "sim_joints", calibrated.hash);
    assert.deepEqual(removed.entry, before.entry);
    assert.equal(removed.hash, before.hash);
    assert.deepEqual(
      await streamed(),
      raw.map((r, j) => Math.fround(r + configured[j])),
    );
    assert.equal(await archived(), 2);
  } finally {
    await agent.stop();
  }
});
