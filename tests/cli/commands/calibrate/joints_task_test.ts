import assert from "node:assert/strict";
import { fromBinary } from "@bufbuild/protobuf";
import { CalibrationStore } from "../../../../agent/calibration/store.ts";
import { JointEncodersDataSchema } from "../../../../core/proto/payload_schemas.ts";
import { Subscription } from "../../../../agent/protocols/stream_consumer.ts";
import { jointAngles } from "../../../../drivers/joint_encoders/sim_joints.ts";
import { startAgent } from "../../../../scripts/harness/agent_process.ts";
import { collect, JOINTS, rowOf } from "../../../e2e/_helpers.ts";
import { requestRegistryEntry } from "../../../../agent/protocols/registries.ts";
import { requestResources } from "../../../../agent/protocols/resources.ts";
import { SensorEntry } from "../../../../core/registries/entries.ts";
import { calibrate, client, storeIsEmpty } from "./_agent.ts";

const CONFIG = { sensors: [{ driver: "sim.joints", still: true }] };

Deno.test("calibrate joints saves offsets that the agent applies to streamed angles after a restart", async () => {
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-cal-" });
  try {
    let agent = await startAgent({ storage, config: CONFIG });
    const reference = [0, 0.5, -0.25, 0, 1, 0];
    const directions = [1, -1, 1, 1, -1, 1];
    const args = [
      "joints",
      agent.address.toString(),
      "sim_joints",
      "--reference",
      reference.join(","),
      "--directions",
      directions.join(","),
      "--samples",
      "5",
      "--storage",
      storage,
    ];
    const dry = await calibrate([...args, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /joint 5: .*\nwill save to .*joints\/sim_joints\.json\ndry run: nothing saved/,
    );
    assert.ok(await storeIsEmpty(storage));
    const run = await calibrate(args);
    await agent.stop();
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /will save to .*joints\/sim_joints\.json\nsaved; restart the agent to apply it/,
    );
    assert.match(
      run.stdout,
      /joint 1: reads .* reference 0\.500000, offset 0 -> .*, direction -1/,
    );
    const stored =
      (await new CalibrationStore(storage).get("joints", "sim_joints"))!;
    assert.deepEqual(stored.directions, directions);
    assert.deepEqual(stored.reference_rad, reference);

    agent = await startAgent({ storage, config: CONFIG });
    try {
      const { entries, entry } = await client(async (node) => {
        const sub = await Subscription.open(node, agent.address, {
          resourceId: "sim_joints",
        });
        const got = await collect(sub, 3);
        sub.close();
        const row = rowOf(await requestResources(node, agent.address), {
          id: "sim_joints",
        });
        const fetched = await requestRegistryEntry(
          node,
          agent.address,
          "sensor",
          "sim_joints",
          row.sensor!.sensor_hash,
        );
        return { entries: got, entry: SensorEntry.parse(fetched!.entry) };
      });
      // The offsets in force are in the sensor entry for consumers.
      assert.equal(entry.kind, "joint_encoders");
      if (entry.kind === "joint_encoders") {
        assert.deepEqual(entry.joint_offsets_rad, stored.offsets_rad);
        assert.deepEqual(entry.joint_directions, directions);
      }
      // Sample k of this run (the log also holds the first run's samples): direction * raw_k + offset, for some k near the start.
      for (const entry of entries) {
        const { anglesRad } = fromBinary(
          JointEncodersDataSchema,
          entry.payload,
        );
        const index = Array.from({ length: 2000 }, (_, k) => k).find((k) => {
          const raw = jointAngles(JOINTS.seed, JOINTS.count, k, JOINTS.rateHz);
          return raw.every((r, j) =>
            Math.fround(directions[j] * r + stored.offsets_rad[j]) ===
              anglesRad[j]
          );
        });
        assert.ok(
          index !== undefined,
          `angles ${anglesRad} are not calibrated samples`,
        );
      }
    } finally {
      await agent.stop();
    }
  } finally {
    await Deno.remove(storage, { recursive: true });
  }
});

Deno.test("calibrate joints refuses a wrong joint count, a non-joint resource and a pending calibration", async () => {
  const agent = await startAgent({
    config: {
      sensors: [{ driver: "sim.joints", still: true }, {
        driver: "sim.camera",
        width: 32,
        height: 24,
      }],
    },
  });
  try {
    const addr = agent.address.toString();
    const flags = ["--storage", agent.storage, "--samples", "2"];
    const count = await calibrate([
      "joints",
      addr,
      "sim_joints",
      ...flags,
      "--reference",
      "0,0",
    ]);
    assert.equal(count.code, 2);
    assert.match(
      count.stderr,
      /--reference: "sim_joints" has 6 joints, 2 values given/,
    );
    const camera = await calibrate(["joints", addr, "sim_camera", ...flags]);
    assert.equal(camera.code, 1);
    assert.match(camera.stderr, /"sim_camera" is not a joint-encoder bank/);
    assert.ok(await storeIsEmpty(agent.storage));
    const first = await calibrate(["joints", addr, "sim_joints", ...flags]);
    assert.equal(first.code, 0, first.stderr);
    const second = await calibrate(["joints", addr, "sim_joints", ...flags]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /is not applied yet .* restart the agent/);
  } finally {
    await agent.stop();
  }
});

Deno.test("calibrate joints refuses when the joints move during the reference capture, printing the tolerance", async () => {
  const agent = await startAgent({
    config: { sensors: [{ driver: "sim.joints" }] },
  });
  try {
    const run = await calibrate([
      "joints",
      agent.address.toString(),
      "sim_joints",
      "--storage",
      agent.storage,
      "--samples",
      "20",
    ]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(
      run.stderr,
      /joint \d+ moved [\d.]+ rad during the reference capture \(tolerance 0\.002 rad, --still-tol\): hold the robot still at the reference pose; nothing saved/,
    );
    assert.ok(await storeIsEmpty(agent.storage));
  } finally {
    await agent.stop();
  }
});
