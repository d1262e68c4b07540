/**
 * Sensors whose entries cannot fit a stream frame: an oversize raw camera is
 * refused by `auki-edge run` with exit 2 naming the size and the cap, the
 * largest raw frames that fit and encoded cameras of any size are accepted.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { unstreamableReason } from "../../../agent/sensors/entry_size.ts";
import type { SensorDescription } from "../../../drivers/driver.ts";
import { runCli } from "../../../scripts/harness/agent_process.ts";

function camera(
  width: number,
  height: number,
  encoding: string,
  pixelFormat: string,
  stride: number,
): SensorDescription {
  return {
    sensor: {
      sensor_id: "cam",
      kind: "camera",
      type: "rgb",
      width,
      height,
      frame_rate_hz: 30,
      image_encoding: encoding,
      pixel_format: pixelFormat,
      row_stride_bytes: stride,
      color_space: "srgb",
      intrinsics_model: "none",
      distortion_model: "none",
    },
    frame: { frame_id: "cam", units: "meters" },
    payload: "camera_frame",
    rateHz: 30,
  } as unknown as SensorDescription;
}

Deno.test("unstreamableReason: a 4K rgb8 frame names its size and the cap", () => {
  assert.equal(
    unstreamableReason(camera(3840, 2160, "raw", "rgb8", 3840 * 3)),
    "each 3840x2160 raw rgb8 frame is 24883200 bytes, more than fits the 16777216-byte stream frame cap; lower the resolution or use a compressed (jpeg) format",
  );
});

Deno.test("unstreamableReason: frames that fit, and jpeg of any size, pass", () => {
  assert.equal(
    unstreamableReason(camera(2560, 1920, "raw", "rgb8", 7680)),
    undefined,
  );
  assert.equal(
    unstreamableReason(camera(3840, 2160, "raw", "nv12", 3840)),
    undefined,
  );
  assert.equal(
    unstreamableReason(camera(7680, 4320, "jpeg", "rgb8", 0)),
    undefined,
  );
});

Deno.test("auki-edge run refuses an oversize raw camera with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = join(dir, "config.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        sensors: [{ driver: "sim.camera", width: 3840, height: 2160 }],
      }),
    );
    const result = await runCli(["run", "--config", config, "--storage", dir]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr.trim(),
      /^auki-edge config .*config\.json: sensors\[0\]: sensor "sim_camera": each 3840x2160 raw rgb8 frame is 24883200 bytes, more than fits the 16777216-byte stream frame cap/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
