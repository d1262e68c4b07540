/**
 * The status page in a real browser: headless Chromium loads `/` from a
 * running agent with simulated sensors; every catalog resource id is shown
 * as text, the camera preview is at least 32x24 px with the camera's aspect
 * ratio and changes between two moments, the lidar plot has drawn points,
 * and a stored static transform appears in the frame tree. A screenshot is
 * saved (its path printed) to look at failures.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withClient } from "../../../cli/client.ts";
import { CalibrationStore } from "../../../agent/calibration/store.ts";
import { FRAME_PRESETS } from "../../../core/registries/entries.ts";
import { startAgent } from "../../../scripts/harness/agent_process.ts";
import { chromiumMissing, openPage } from "../../helpers/chromium.ts";
import { SMALL_SIMS } from "../../e2e/_helpers.ts";
import { delay } from "../../helpers/wait.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";

const missing = chromiumMissing();
if (missing !== undefined) console.log(`page_test skipped: ${missing}`);

/** The preview's displayed size and a digest of its pixels. */
const PREVIEW = `(() => {
  const img = document.querySelector("img.preview");
  if (!img || !img.complete || img.naturalWidth === 0) return null;
  const box = img.getBoundingClientRect();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
  let digest = 0;
  for (let i = 0; i < data.length; i++) digest = (digest * 31 + data[i]) >>> 0;
  return { width: box.width, height: box.height, digest, src: img.src };
})()`;

/** The lidar canvas's point count and how many of its pixels are the points' red. */
const SCAN = `(() => {
  const canvas = document.querySelector("canvas.scan");
  if (!canvas) return null;
  const data = canvas.getContext("2d")
    .getImageData(0, 0, canvas.width, canvas.height).data;
  let red = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] === 0xc0 && data[i + 1] === 0x39 && data[i + 2] === 0x2b) red++;
  }
  return { points: Number(canvas.dataset.points), red };
})()`;

interface Preview {
  width: number;
  height: number;
  digest: number;
  src: string;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what} within ${timeoutMs} ms`);
    }
    await delay(100);
  }
}

Deno.test({
  name:
    "status page: resource ids, a live camera preview and a lidar plot in Chromium",
  ignore: missing !== undefined,
  async fn() {
    const storage = await Deno.makeTempDir({ prefix: "auki-edge-page-" });
    const frame = (id: string) => ({
      frame_id: id,
      ...FRAME_PRESETS.ros_body,
      units: "meters" as const,
    });
    await new CalibrationStore(storage).save(
      "transforms",
      "base_link->sim_lidar_link",
      {
        from_frame: frame("base_link"),
        to_frame: frame("sim_lidar_link"),
        translation: [0.1, 0, 0.3],
        rotation: [0, 0, 0, 1],
        method: "manual",
        saved_at: new Date().toISOString(),
      },
    );
    const agent = await startAgent({ config: SMALL_SIMS, storage });
    const shots = await Deno.makeTempDir({ prefix: "auki-edge-page-" });
    const page = await openPage(`${agent.http}/`);
    try {
      const rows = await withClient((node) =>
        requestResources(node, agent.address)
      );
      const ids = rows.map((r) => r.resource_id);
      assert.ok(ids.length >= 4);
      const text = await until("every resource id shown", async () => {
        const shown = await page.evaluate<string>("document.body.innerText");
        return ids.every((id) => shown.includes(id)) && shown;
      });
      for (const id of ids) assert.ok(text.includes(id), id);

      const first = await until(
        "a camera preview",
        () => page.evaluate<Preview | null>(PREVIEW),
      );
      assert.ok(first.width >= 32 && first.height >= 24, JSON.stringify(first));
      assert.ok(
        Math.abs(first.width / first.height - 64 / 48) < 0.02,
        `preview ${first.width}x${first.height} is not 4:3`,
      );
      const second = await until(
        "a changed camera preview",
        async () => {
          const now = await page.evaluate<Preview | null>(PREVIEW);
          return now !== null && now.digest !== first.digest && now;
        },
      );
      assert.notEqual(second.digest, first.digest);

      const scan = await until(
        "a lidar plot with points",
        async () => {
          const now = await page.evaluate<
            { points: number; red: number } | null
          >(
            SCAN,
          );
          return now !== null && now.points > 0 && now.red > 0 && now;
        },
      );
      assert.ok(scan.points > 10, `${scan.points} points`);
      const panels = await until("the joints and UWB panels", async () => {
        const shown = await page.evaluate<string>("document.body.innerText");
        return /joint 0: -?\d/.test(shown) && shown;
      });
      assert.match(panels, /sim_uwb \S+ \d+\.\d{3} m/);
      assert.match(
        panels,
        /base_link\s+sim_lidar_link \(rigid, [^)]+\) t=\(0\.100, 0\.000, 0\.300\)/,
      );
    } finally {
      const shot = join(shots, "status-page.png");
      await page.screenshot(shot).then(
        () => console.log(`status page screenshot: ${shot}`),
        (error) => console.log(`no screenshot: ${error}`),
      );
      await page.close();
      assert.equal(await agent.stop(), 0);
      await Deno.remove(storage, { recursive: true });
    }
  },
});
