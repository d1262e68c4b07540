import assert from "node:assert/strict";
import { requestRegistryEntry } from "../../../agent/protocols/registries.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { CalibrationStore } from "../../../agent/calibration/store.ts";
import { withClient } from "../../../cli/client.ts";
import { CameraSensor } from "../../../core/registries/entries.ts";
import { startAgent } from "../../../scripts/harness/agent_process.ts";
import { rowOf } from "../../e2e/_helpers.ts";

const CALIBRATION = {
  fx: 150,
  fy: 151,
  cx: 80.5,
  cy: 60.25,
  distortion_coefficients: [0.1, -0.02, 0.003, -0.0004],
};

Deno.test("a camera calibration saved or deleted while the agent runs is published without a restart, with a new sensor_hash", async () => {
  const agent = await startAgent({
    config: {
      sensors: [{ driver: "sim.camera", id: "cam", width: 160, height: 120 }],
    },
  });
  const store = new CalibrationStore(agent.storage);
  try {
    const published = () =>
      withClient(async (node) => {
        const row = rowOf(await requestResources(node, agent.address), {
          id: "cam",
        });
        const fetched = await requestRegistryEntry(
          node,
          agent.address,
          "sensor",
          "cam",
          row.sensor!.sensor_hash,
        );
        return {
          hash: row.sensor!.sensor_hash,
          entry: CameraSensor.parse(fetched!.entry),
        };
      });
    const until = async (hash: string) => {
      for (let i = 0; i < 40; i++) {
        // The row is briefly absent while the camera restarts.
        const now = await published().catch(() => undefined);
        if (now !== undefined && now.hash !== hash) return now;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error("the sensor_hash did not change within 10 s");
    };
    const before = await published();
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
    const calibrated = await until(before.hash);
    assert.equal(calibrated.entry.distortion_model, "equidistant");
    assert.deepEqual(calibrated.entry.calibration, CALIBRATION);

    await store.delete("camera", "cam");
    const removed = await until(calibrated.hash);
    assert.deepEqual(removed.entry.calibration, before.entry.calibration);
    assert.equal(removed.hash, before.hash);
  } finally {
    await agent.stop();
  }
});
