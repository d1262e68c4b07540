import assert from "node:assert/strict";
import type { Multiaddr } from "@multiformats/multiaddr";
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

/** The sensor hash and joint-encoder entry `sim_joints` publishes at `address`. */
function jointsEntry(address: Multiaddr) {
  return client(async (node) => {
    const row = rowOf(await requestResources(node, address), {
      id: "sim_joints",
    });
    const fetched = await requestRegistryEntry(
      node,
      address,
      "sensor",
      "sim_joints",
      row.sensor!.sensor_hash,
    );
    const entry = SensorEntry.parse(fetched!.entry);
    assert.ok(entry.kind === "joint_encoders", entry.kind);
    return { hash: row.sensor!.sensor_hash, entry };
  });
}

Deno.test("calibrate joints saves offsets that the running agent applies at once: in the sensor entry and the streamed angles", async () => {
  const agent = await startAgent({ config: CONFIG });
  const storage = agent.storage;
  try {
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
    const published = () => jointsEntry(agent.address);
    const before = await published();
    const dry = await calibrate([...args, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /joint 5: .*\nwill save to .*joints\/sim_joints\.json\ndry run: nothing saved/,
    );
    assert.ok(await storeIsEmpty(storage));
    const run = await calibrate(args);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /will save to .*joints\/sim_joints\.json\nsaved; a running agent applies it within a second/,
    );
    assert.match(
      run.stdout,
      /joint 1: reads .* reference 0\.500000, offset 0 -> .*, direction -1/,
    );
    const stored =
      (await new CalibrationStore(storage).get("joints", "sim_joints"))!;
    assert.deepEqual(stored.directions, directions);
    assert.deepEqual(stored.reference_rad, reference);

    // Applied live: the bank restarts with the offsets in force in its entry.
    let now = before;
    for (let i = 0; i < 40 && now.hash === before.hash; i++) {
      await new Promise((r) => setTimeout(r, 250));
      now = await published().catch(() => before);
    }
    assert.notEqual(now.hash, before.hash, "not applied within 10 s");
    assert.deepEqual(now.entry.joint_offsets_rad, stored.offsets_rad);
    assert.deepEqual(now.entry.joint_directions, directions);
    const entries = await client(async (node) => {
      const sub = await Subscription.open(node, agent.address, {
        resourceId: "sim_joints",
      });
      const got = await collect(sub, 3);
      sub.close();
      return got;
    });
    // The bank holds still at its first sample: direction * raw_0 + offset.
    const raw = jointAngles(JOINTS.seed, JOINTS.count, 0, JOINTS.rateHz);
    for (const received of entries) {
      const { anglesRad } = fromBinary(
        JointEncodersDataSchema,
        received.payload,
      );
      assert.deepEqual(
        [...anglesRad],
        raw.map((r, j) =>
          Math.fround(directions[j] * r + stored.offsets_rad[j])
        ),
      );
    }
    // A second run undoes the offsets in force: the same pose, the same offsets.
    const again = await calibrate(args);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /not in force/);
    const offsets = [...again.stdout.matchAll(/offset (\S+) -> (\S+),/g)];
    assert.equal(offsets.length, 6);
    offsets.forEach(([, was, becomes], j) => {
      assert.equal(Number(was), Number(stored.offsets_rad[j].toFixed(6)));
      assert.ok(Math.abs(Number(becomes) - Number(was)) < 1e-5, becomes);
    });
  } finally {
    await agent.stop();
  }
});

Deno.test("calibrate joints refuses a wrong joint count and a non-joint resource, and undoes the offsets in force, not an ignored stored calibration", async () => {
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
    // A stored calibration the bank cannot take: the agent ignores it, and
    // the task undoes the offsets in force (none), saying so.
    await new CalibrationStore(agent.storage).save("joints", "sim_joints", {
      sensor_id: "sim_joints",
      offsets_rad: [0.5, 0.5],
      directions: [1, 1],
      reference_rad: [0, 0],
      saved_at: "2026-12-03T09:00:00.000Z",
    });
    await agent.waitForStderr(
      /stored joint calibration ignored: Error: the calibration has 2 joints, the bank 6/,
      10_000,
    );
    const ignored = await calibrate(["joints", addr, "sim_joints", ...flags]);
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.match(
      ignored.stderr,
      /the calibration stored at 2026-12-03T09:00:00\.000Z is not in force on "sim_joints" \(its sensor entry shows none\); the readings are undone with the offsets in force/,
    );
    assert.match(ignored.stdout, /joint 0: reads .*, offset 0 -> /);
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

Deno.test("calibrate joints on a bank with configured offsets: the entry shows them, the task undoes them, and the reading becomes the reference", async () => {
  const configured = {
    offsets_rad: [0.3, -0.2, 0, 0, 0, 0.1],
    directions: [1, -1, 1, 1, 1, 1],
  };
  const agent = await startAgent({
    config: {
      sensors: [{
        driver: "sim.joints",
        still: true,
        offsets_rad: configured.offsets_rad,
        directions: [1, -1],
      }],
    },
  });
  try {
    const entryOf = () => jointsEntry(agent.address);
    const before = await entryOf();
    assert.deepEqual(before.entry.joint_offsets_rad, configured.offsets_rad);
    assert.deepEqual(before.entry.joint_directions, configured.directions);

    const reference = [0.1, 0.2, 0.3, -0.1, -0.2, -0.3];
    const run = await calibrate([
      "joints",
      agent.address.toString(),
      "sim_joints",
      "--reference",
      reference.join(","),
      "--samples",
      "5",
      "--storage",
      agent.storage,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /joint 0: .* offset 0\.300000 -> .*, direction 1/);
    assert.match(
      run.stdout,
      /joint 1: .* offset -0\.200000 -> .*, direction -1/,
    );
    // The offsets a bank without configured ones gets: from the true raw angles.
    const raw = jointAngles(JOINTS.seed, JOINTS.count, 0, JOINTS.rateHz);
    const stored =
      (await new CalibrationStore(agent.storage).get("joints", "sim_joints"))!;
    assert.deepEqual(stored.directions, configured.directions);
    stored.offsets_rad.forEach((offset, j) => {
      const expected = reference[j] - configured.directions[j] * raw[j];
      assert.ok(Math.abs(offset - expected) < 1e-6, `joint ${j}: ${offset}`);
    });

    // Applied live, the stored offsets replace the configured ones.
    let now = before;
    for (let i = 0; i < 40 && now.hash === before.hash; i++) {
      await new Promise((r) => setTimeout(r, 250));
      now = await entryOf().catch(() => before);
    }
    assert.notEqual(now.hash, before.hash, "not applied within 10 s");
    assert.deepEqual(now.entry.joint_offsets_rad, stored.offsets_rad);
    const [received] = await client(async (node) => {
      const sub = await Subscription.open(node, agent.address, {
        resourceId: "sim_joints",
      });
      const got = await collect(sub, 1);
      sub.close();
      return got;
    });
    const { anglesRad } = fromBinary(JointEncodersDataSchema, received.payload);
    anglesRad.forEach((angle, j) =>
      assert.ok(Math.abs(angle - reference[j]) < 1e-6, `joint ${j}: ${angle}`)
    );
  } finally {
    await agent.stop();
  }
});
