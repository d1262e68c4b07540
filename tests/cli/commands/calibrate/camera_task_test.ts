import assert from "node:assert/strict";
import { join } from "node:path";
import { requestRegistryEntry } from "../../../../agent/protocols/registries.ts";
import { CameraSensor } from "../../../../core/registries/entries.ts";
import { CalibrationStore } from "../../../../agent/calibration/store.ts";
import { startAgent } from "../../../../scripts/harness/agent_process.ts";
import { rowOf } from "../../../e2e/_helpers.ts";
import { requestResources } from "../../../../agent/protocols/resources.ts";
import { calibrate, client, storeIsEmpty } from "./_agent.ts";

const TRUTH = { fx: 700, fy: 705, cx: 652.5, cy: 355.25 };

function targetCamera(target: Record<string, unknown>) {
  return {
    sensors: [{
      driver: "sim.camera",
      id: "cam",
      width: 1280,
      height: 720,
      rate_hz: 5,
      target: { pose_s: 0.4, intrinsics: TRUTH, ...target },
    }],
  };
}

Deno.test("calibrate camera recovers the simulated camera's intrinsics over the stream, and the agent publishes them", async () => {
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-cal-" });
  const config = targetCamera({});
  try {
    let agent = await startAgent({ storage, config });
    const before = rowOf(
      await client((n) => requestResources(n, agent.address)),
      {
        id: "cam",
      },
    );
    const args = [
      "camera",
      agent.address.toString(),
      "cam",
      "--storage",
      storage,
      "--views",
      "12",
    ];
    const dry = await calibrate([...args, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(
      dry.stdout,
      /will save to .*camera\/cam\.json: calibration of "cam" \(published now: none\)\ndry run: nothing saved/,
    );
    assert.ok(await storeIsEmpty(storage));
    const saved = join(storage, "views");
    const run = await calibrate([...args, "--save-views", saved]);
    await agent.stop();
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /view 12: /);
    assert.match(
      run.stdout,
      /12 views written to .* as \.ppm \(calibrate camera --images .* --color-space linear re-solves them\)/,
    );
    assert.match(
      run.stdout,
      /markers dropped by detection: \d+ touching the image border, \d+ with unrefinable corners/,
    );
    // Capture showed the regions and tilts still missing as views came in.
    assert.match(
      run.stderr,
      /capturing: 1\/12 views \(\d+ frames, board in \d+; coverage [.#\/]{11}; regions missing: [a-z ,]+; tilts \(10°\+\) missing: [a-z ,]+\)/,
    );
    assert.match(
      run.stderr,
      /capturing: 12\/12 views .*tilts \(10°\+\) missing: none\)/,
    );
    // The saved frames (rgb8 kept as PPM) solve to the same calibration
    // (the simulator renders in linear light).
    const names = [...Deno.readDirSync(saved)].map((e) => e.name).sort();
    assert.deepEqual(
      names,
      Array.from(
        { length: 12 },
        (_, i) => `view-${String(i + 1).padStart(2, "0")}.ppm`,
      ),
    );
    const again = await calibrate([
      "camera",
      "--images",
      saved,
      "--color-space",
      "linear",
      "--sensor-id",
      "cam",
      "--storage",
      storage,
      "--dry-run",
    ]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(
      again.stdout,
      /camera "cam" 1280x720, 12 views from 12 frames/,
    );
    assert.match(
      run.stdout,
      /will save to .*camera\/cam\.json: .*\nsaved; a running agent publishes it within a second/,
    );
    const stored = await new CalibrationStore(storage).get("camera", "cam");
    assert.ok(stored !== undefined);
    const solved = (text: string) =>
      text.split("\n").filter((l) =>
        /^ {2}(fx|fy|cx|cy|plumb_bob|RMS) /.test(l)
      );
    assert.equal(solved(run.stdout).length, 6);
    assert.deepEqual(solved(again.stdout), solved(run.stdout));
    assert.ok(
      stored.rms_px !== undefined && stored.rms_px < 0.5,
      `RMS ${stored.rms_px} px`,
    );

    agent = await startAgent({ storage, config });
    try {
      const { row, entry } = await client(async (node) => {
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
        return { row, entry: CameraSensor.parse(fetched!.entry) };
      });
      assert.notEqual(row.sensor!.sensor_hash, before.sensor!.sensor_hash);
      assert.equal(entry.intrinsics_model, "pinhole");
      assert.equal(entry.distortion_model, "plumb_bob");
      const published = entry.calibration!;
      for (const key of ["fx", "fy", "cx", "cy"] as const) {
        const error = Math.abs(published[key] - TRUTH[key]) / TRUTH[key];
        assert.ok(error < 0.005, `${key} ${published[key]} vs ${TRUTH[key]}`);
      }
      assert.equal(published.distortion_coefficients?.length, 5);
      assert.ok(Math.abs(published.distortion_coefficients![0] + 0.12) < 0.01);
    } finally {
      await agent.stop();
    }
  } finally {
    await Deno.remove(storage, { recursive: true });
  }
});

Deno.test("calibrate camera refuses degenerate views, no target, a silent camera and a non-camera, saving nothing", async () => {
  const frontal = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((z) => ({
    translation: [(z - 0.5) * 0.2, (z - 0.5) * 0.1, 0.3 + z * 0.1],
  }));
  const agent = await startAgent({
    config: {
      sensors: [
        {
          ...targetCamera({ poses: frontal, pose_s: 0.25 }).sensors[0],
          rate_hz: 8,
        },
        {
          driver: "sim.camera",
          id: "pattern",
          width: 160,
          height: 120,
          rate_hz: 10,
        },
        {
          driver: "sim.camera",
          id: "slow",
          width: 32,
          height: 24,
          rate_hz: 0.01,
        },
        { driver: "sim.joints" },
      ],
    },
  });
  try {
    const addr = agent.address.toString();
    const flags = ["--storage", agent.storage];
    const degenerate = await calibrate([
      "camera",
      addr,
      "cam",
      ...flags,
      "--views",
      "9",
    ]);
    assert.equal(degenerate.code, 1, degenerate.stdout + degenerate.stderr);
    assert.match(degenerate.stderr, /refused: degenerate views/);
    assert.match(degenerate.stderr, /nothing saved/);

    const blank = await calibrate([
      "camera",
      addr,
      "pattern",
      ...flags,
      "--timeout",
      "1",
    ]);
    assert.equal(blank.code, 1);
    assert.match(
      blank.stderr,
      /no calibration board \(dictionary ARUCO_MIP_36h12, ids 0-19\) in \d+ frames of "pattern"/,
    );

    const silent = await calibrate(["camera", addr, "slow", ...flags]);
    assert.equal(silent.code, 1);
    assert.match(silent.stderr, /"slow" is not streaming: no entry within 5 s/);

    const joints = await calibrate(["camera", addr, "sim_joints", ...flags]);
    assert.equal(joints.code, 1);
    assert.match(joints.stderr, /"sim_joints" is not a camera/);

    const unknown = await calibrate(["camera", addr, "nope", ...flags]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /"nope" is not a resource of this device/);

    assert.ok(await storeIsEmpty(agent.storage));
  } finally {
    await agent.stop();
  }
});
