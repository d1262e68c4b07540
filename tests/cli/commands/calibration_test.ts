import assert from "node:assert/strict";
import { CalibrationStore } from "../../../agent/calibration/store.ts";
import { runCli, startAgent } from "../../../scripts/harness/agent_process.ts";
import { UsageError } from "../../../cli/args.ts";
import { calibrationCommand } from "../../../cli/commands/calibration.ts";
import { MemoryOutput } from "../../helpers/output.ts";

Deno.test("calibration show lists and prints the stored items; delete removes one, refusing an unknown id", async () => {
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-cal-" });
  const store = new CalibrationStore(storage);
  const run = (args: string[]) =>
    runCli(["calibration", ...args, "--storage", storage], {
      timeoutMs: 30_000,
    });
  try {
    let shown = await run(["show"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /no calibration stored in /);
    await store.save("camera", "cam", {
      sensor_id: "cam",
      width: 1280,
      height: 720,
      distortion_model: "equidistant",
      calibration: {
        fx: 500,
        fy: 501,
        cx: 640,
        cy: 360,
        distortion_coefficients: [0.05, -0.02, 0.004, -0.0005],
      },
      rms_px: 0.1,
      views: 12,
      saved_at: "2026-12-03T09:00:00.000Z",
    });
    await store.save("joints", "arm", {
      sensor_id: "arm",
      offsets_rad: [0.1, -0.2],
      directions: [1, -1],
      reference_rad: [0, 0],
      saved_at: "2026-12-03T09:00:00.000Z",
    });
    shown = await run(["show"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /camera +cam: 1280x720 equidistant fx 500\.00 fy 501\.00 cx 640\.00 cy 360\.00, 0\.100 px RMS/,
    );
    assert.match(
      shown.stdout,
      /joints +arm: 2 joint offsets \[0\.1000, -0\.2000\]/,
    );
    shown = await run(["show", "cam"]);
    assert.match(shown.stdout, /camera "cam" \(.*cam\.json\):\n\{/);
    assert.doesNotMatch(shown.stdout, /arm/);

    const dry = await run(["delete", "cam", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would delete .*camera\/cam\.json/);
    assert.ok(await store.get("camera", "cam"));
    const deleted = await run(["delete", "cam"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /deleted .*camera\/cam\.json/);
    assert.equal(await store.get("camera", "cam"), undefined);
    const again = await run(["delete", "cam"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /nothing stored for "cam"/);
    const kind = await run(["show", "--kind", "lens"]);
    assert.equal(kind.code, 2);
    assert.match(
      kind.stderr,
      /--kind: expects one of camera, joints, transforms/,
    );
  } finally {
    await Deno.remove(storage, { recursive: true });
  }
});

Deno.test("calibration show --device prints what the running agent publishes for a camera and a joint bank", async () => {
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-cal-" });
  const offsets = [0.1, -0.2, 0.3, 0, 0.05, 1];
  await new CalibrationStore(storage).save("joints", "sim_joints", {
    sensor_id: "sim_joints",
    offsets_rad: offsets,
    directions: [1, -1, 1, 1, -1, 1],
    reference_rad: [0, 0, 0, 0, 0, 0],
    saved_at: "2026-12-03T09:00:00.000Z",
  });
  const agent = await startAgent({
    storage,
    config: {
      sensors: [
        { driver: "sim.joints", still: true },
        { driver: "sim.camera", id: "cam", width: 160, height: 120 },
      ],
    },
  });
  const show = async (args: string[]) => {
    const output = new MemoryOutput();
    const code = await calibrationCommand([
      "show",
      ...args,
      "--device",
      agent.address.toString(),
      "--storage",
      storage,
    ], output);
    return {
      code,
      stdout: output.stdout.map((l) => `${l}\n`).join(""),
      stderr: output.stderr.join("\n"),
    };
  };
  try {
    const joints = await show(["sim_joints"]);
    assert.equal(joints.code, 0, joints.stderr);
    assert.match(
      joints.stdout,
      /joints "sim_joints" \(.*sim_joints\.json\):\n\{/,
    );
    assert.match(
      joints.stdout,
      /published by the device for "sim_joints": 6 joints, joint_offsets_rad \[0\.1, -0\.2, 0\.3, 0, 0\.05, 1\], joint_directions \[1, -1, 1, 1, -1, 1\]\n$/,
    );
    const camera = await show(["cam"]);
    assert.equal(camera.code, 0, camera.stderr);
    assert.match(
      camera.stdout,
      /^nothing stored for "cam" in .*\npublished by the device for "cam": plumb_bob \{"fx":80,"fy":80,"cx":80,"cy":60\}\n$/,
    );
    const unknown = await show(["nope"]);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /calibration show: the device has no sensor "nope"/,
    );
    await assert.rejects(
      show([]),
      (error: Error) =>
        error instanceof UsageError &&
        /calibration show: --device needs a sensor ID/.test(error.message),
    );
  } finally {
    await agent.stop();
    await Deno.remove(storage, { recursive: true });
  }
});
