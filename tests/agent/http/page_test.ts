/**
 * The status page in a real browser: headless Chromium loads `/` from a
 * running agent with simulated sensors; every catalog resource id is shown
 * as text, the camera preview is at least 32x24 px with the camera's aspect
 * ratio and changes between two moments, the lidar plot has drawn points,
 * and a stored static transform appears in the frame tree. A screenshot is
 * saved (its path printed) to look at failures. The relay booking section,
 * against an in-process server whose status the test changes: hidden
 * without a booking, then a failed booking with its reason, a reserved one
 * with its relay, circuit and lease, and hidden again.
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
import { startHttpServer } from "../../../agent/http/server.ts";
import { Catalog } from "../../../agent/catalog/catalog.ts";
import { RegistryStore } from "../../../agent/registries/store.ts";
import type { AgentStatus } from "../../../agent/status_file.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { statusWith } from "../observe/_status.ts";

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

/** Whether the booking section is hidden, its text, and the page's visible text (null before the page loaded). */
const BOOKING = `(() => {
  const section = document.getElementById("booking-section");
  if (!section) return null;
  return {
    hidden: section.hidden,
    booking: document.getElementById("booking").innerText,
    shown: document.body.innerText,
  };
})()`;

interface Booking {
  hidden: boolean;
  booking: string;
  shown: string;
}

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

Deno.test({
  name: "status page: the relay booking in Chromium, only while there is one",
  ignore: missing !== undefined,
  async fn() {
    const relay = "/ip4/10.0.0.9/tcp/4001/p2p/12D3KooWbookedrelay";
    let status: AgentStatus = statusWith();
    const server = startHttpServer(
      { hostname: "127.0.0.1", port: 0 },
      new MemoryLogger(),
    );
    server.serve({
      status: () => status,
      clusterName: () => "lab",
      catalog: new Catalog(),
      registry: new RegistryStore(status.peer_id),
    });
    const shots = await Deno.makeTempDir({ prefix: "auki-edge-page-" });
    const page = await openPage(`${server.url}/`);
    const booking = (what: string, ok: (b: Booking) => boolean) =>
      until(what, async () => {
        const now = await page.evaluate<Booking | null>(BOOKING);
        return now !== null && ok(now) && now;
      });
    try {
      const none = await booking(
        "the status rendered",
        (b) => b.shown.includes(status.peer_id),
      );
      assert.equal(none.hidden, true);
      assert.doesNotMatch(none.shown, /Relay booking/);

      status = statusWith({
        relay_booking: {
          state: "failed",
          booking_id: "bk-1",
          relay,
          circuit: null,
          lease_expires_at: null,
          authority_expires_at: "2026-12-03T13:00:00.000Z",
          error: "DMS POST /relay-bookings: HTTP 503 overloaded",
          retry_at: "2026-12-03T12:30:05.000Z",
        },
      });
      const failed = await booking(
        "the failed booking shown",
        (b) => !b.hidden && b.booking.includes("failed"),
      );
      assert.match(failed.shown, /Relay booking/);
      assert.match(failed.booking, /state\s+failed/);
      assert.match(
        failed.booking,
        /failure\s+DMS POST \/relay-bookings: HTTP 503 overloaded/,
      );
      assert.match(failed.booking, /retry at\s+2026-12-03T12:30:05\.000Z/);
      assert.match(failed.booking, new RegExp(`relay\\s+${relay}`));
      assert.doesNotMatch(failed.booking, /circuit|lease/);

      const circuit = `${relay}/p2p-circuit/p2p/${status.peer_id}`;
      status = statusWith({
        relay_booking: {
          state: "reserved",
          booking_id: "bk-1",
          relay,
          circuit,
          lease_expires_at: "2026-12-03T12:45:00.000Z",
          authority_expires_at: "2026-12-03T13:00:00.000Z",
        },
      });
      const reserved = await booking(
        "the reserved booking shown",
        (b) => b.booking.includes("reserved"),
      );
      const shot = join(shots, "relay-booking.png");
      await page.screenshot(shot);
      console.log(`relay booking screenshot: ${shot}`);
      assert.match(reserved.booking, /state\s+reserved/);
      assert.ok(reserved.booking.includes(circuit), reserved.booking);
      assert.match(reserved.booking, /lease until\s+2026-12-03T12:45:00\.000Z/);
      assert.match(reserved.booking, /booking\s+bk-1/);
      assert.doesNotMatch(reserved.booking, /failure|retry/);

      status = statusWith();
      const gone = await booking("the booking hidden again", (b) => b.hidden);
      assert.doesNotMatch(gone.shown, /Relay booking|bk-1/);
    } finally {
      await page.close();
      await server.stop();
    }
  },
});
