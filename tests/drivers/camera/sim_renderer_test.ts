import assert from "node:assert/strict";
import { SimRenderer } from "../../../drivers/camera/sim_renderer.ts";
import {
  simFrames,
  type SimFrameSettings,
} from "../../../drivers/camera/sim_frames.ts";
import { TargetConfig } from "../../../drivers/camera/sim_target.ts";

const pattern: SimFrameSettings = {
  width: 48,
  height: 32,
  seed: 3,
  rateHz: 10,
};

Deno.test("SimRenderer: the worker renders the same frames as the thread would", async () => {
  const target: SimFrameSettings = {
    ...pattern,
    target: {
      truth: { fx: 40, fy: 40, cx: 24, cy: 16 },
      config: TargetConfig.parse({}),
    },
  };
  for (const settings of [pattern, target]) {
    const renderer = new SimRenderer(settings);
    await renderer.open();
    try {
      const local = simFrames(settings);
      const frames = await Promise.all(
        [0, 1, 2, 7].map((i) => renderer.produce(i)),
      );
      frames.forEach((frame, k) =>
        assert.deepEqual(frame, local([0, 1, 2, 7][k]))
      );
    } finally {
      renderer.close();
    }
  }
});

Deno.test("SimRenderer: frames asked for before a close never arrive; later asks fail", async () => {
  const renderer = new SimRenderer({ ...pattern, width: 1920, height: 1080 });
  await renderer.open();
  const pending = renderer.produce(0);
  renderer.close();
  await assert.rejects(pending, /render worker was stopped/);
  await assert.rejects(renderer.produce(1), /render worker was stopped/);
});

Deno.test("SimRenderer: a rendering error is reported for that frame", async () => {
  // A target without poses cannot be rendered: the worker answers with the error.
  const renderer = new SimRenderer({
    ...pattern,
    target: {
      truth: { fx: 40, fy: 40, cx: 24, cy: 16 },
      config: { ...TargetConfig.parse({}), poses: [] },
    },
  });
  await renderer.open();
  try {
    await assert.rejects(renderer.produce(0), /undefined/);
  } finally {
    renderer.close();
  }
});
