/**
 * The agent's HTTP server against a real `auki-edge run` process: every
 * endpoint over real HTTP, the metrics text parsed strictly and checked
 * against the catalog, `/api/status` against `status --json`, camera
 * previews, 404 and 405, a burst of concurrent page loads and clients
 * leaving mid-preview, `/healthz` with an offline sensor, and the `--http`
 * flag's bad values (a port in use: tests/e2e/bad_startup_test.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withClient } from "../../../cli/client.ts";
import { EXPOSITION_CONTENT_TYPE } from "../../../agent/observe/exposition.ts";
import { runCli, startAgent } from "../../../scripts/harness/agent_process.ts";
import { SMALL_SIMS } from "../../e2e/_helpers.ts";
import { delay } from "../../helpers/wait.ts";
import { withDir } from "../../helpers/temp_dir.ts";
import { requestResources } from "../../../agent/protocols/resources.ts";
import { parseExposition } from "../observe/_exposition_parser.ts";

const REQUIRED_FAMILIES = [
  "auki_edge_sensor_samples_total",
  "auki_edge_sensor_bytes_total",
  "auki_edge_sensor_rate_hz",
  "auki_edge_sensor_errors_total",
  "auki_edge_sensor_online",
  "auki_edge_log_entries",
  "auki_edge_log_bytes",
  "auki_edge_stream_subscribers",
  "auki_edge_stream_sent_bytes_total",
  "auki_edge_libp2p_connections",
  "auki_edge_cluster_role",
  "auki_edge_cluster_members",
  "auki_edge_relay_reservation",
  "auki_edge_domain_clock_offset_seconds",
  "auki_edge_domain_clock_uncertainty_seconds",
  "auki_edge_event_loop_lag_seconds",
  "process_resident_memory_bytes",
  "process_cpu_seconds_total",
];

async function scrape(base: string) {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), EXPOSITION_CONTENT_TYPE);
  return parseExposition(await response.text());
}

function valueOf(
  families: ReturnType<typeof parseExposition>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const sample = families.get(name)?.samples.find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.ok(sample, `no ${name}${JSON.stringify(labels)}`);
  return sample.value;
}

async function getJson(url: string, status = 200) {
  const response = await fetch(url);
  assert.equal(response.status, status, url);
  assert.match(response.headers.get("content-type")!, /^application\/json/);
  return await response.json();
}

Deno.test("http: the endpoints of a running agent", async () => {
  const agent = await startAgent({ config: SMALL_SIMS });
  try {
    const base = agent.http!;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const ids = SMALL_SIMS.sensors.map((s) =>
      s.driver.replace("sim.", "sim_").replace("lidar2d", "lidar")
    );
    const rows = await withClient((node) =>
      requestResources(node, agent.address)
    );
    const sensorRows = rows.filter((r) => r.variant === "sensor_log");
    assert.deepEqual(sensorRows.map((r) => r.resource_id).sort(), ids.sort());

    const health = await getJson(`${base}/healthz`);
    assert.equal(health.status, "ok");
    assert.deepEqual(health.problems, []);

    await delay(1_500);
    const first = await scrape(base);
    for (const name of REQUIRED_FAMILIES) {
      assert.ok(first.has(name), `family ${name}`);
    }
    for (const row of sensorRows) {
      const labels = { resource_id: row.resource_id };
      assert.ok(valueOf(first, "auki_edge_sensor_samples_total", labels) > 0);
      assert.ok(valueOf(first, "auki_edge_sensor_bytes_total", labels) > 0);
      assert.equal(valueOf(first, "auki_edge_sensor_online", labels), 1);
    }
    for (const row of rows) {
      valueOf(first, "auki_edge_log_entries", { resource_id: row.resource_id });
    }
    assert.ok(valueOf(first, "process_resident_memory_bytes") > 10e6);
    assert.ok(valueOf(first, "process_cpu_seconds_total") > 0);
    assert.equal(valueOf(first, "auki_edge_cluster_role", { role: "none" }), 1);
    const joints = { resource_id: "sim_joints" };
    const rate = valueOf(first, "auki_edge_sensor_rate_hz", joints);
    assert.ok(rate > 50 && rate < 150, `joints rate ${rate}`);
    await delay(300);
    const second = await scrape(base);
    assert.ok(
      valueOf(second, "auki_edge_sensor_samples_total", joints) >
        valueOf(first, "auki_edge_sensor_samples_total", joints),
    );

    const status = await getJson(`${base}/api/status`);
    const cli = await runCli(["status", "--storage", agent.storage, "--json"]);
    assert.equal(cli.code, 0, cli.stderr);
    const file = JSON.parse(cli.stdout);
    assert.deepEqual(Object.keys(status).sort(), Object.keys(file).sort());
    assert.equal(status.peer_id, file.peer_id);
    assert.deepEqual(
      status.sensors.map((s: { id: string }) => s.id),
      file.sensors.map((s: { id: string }) => s.id),
    );
    const text = await runCli(["status", "--storage", agent.storage]);
    assert.match(
      text.stdout,
      /sensors\n {2}sim_camera: online, \d+(\.\d)? Hz, [\d.]+ (B|KiB|MiB)\/s\n/,
    );

    const page = await fetch(`${base}/`);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await page.text(), /<script src="\/app.js">/);
    for (
      const [path, type] of [["/app.js", "text/javascript"], [
        "/app.css",
        "text/css",
      ]]
    ) {
      const asset = await fetch(`${base}${path}`);
      assert.match(asset.headers.get("content-type")!, new RegExp(`^${type}`));
      await asset.body?.cancel();
    }

    const preview = await fetch(`${base}/api/preview/sim_camera.jpg`);
    assert.equal(preview.status, 200);
    assert.equal(preview.headers.get("content-type"), "image/jpeg");
    const jpeg = new Uint8Array(await preview.arrayBuffer());
    assert.deepEqual([...jpeg.slice(0, 2)], [0xff, 0xd8]);
    await getJson(`${base}/api/preview/sim_lidar.jpg`, 404);
    await getJson(`${base}/api/preview/nope.jpg`, 404);
    const view = await getJson(`${base}/api/view`);
    assert.deepEqual(view.cameras, [
      { resource_id: "sim_camera", width: 64, height: 48 },
    ]);
    assert.ok(view.scans[0].points.length > 0);
    assert.equal(view.joints[0].angles_rad.length, 6);

    await getJson(`${base}/nope`, 404);
    const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.body?.cancel();
    const head = await fetch(`${base}/healthz`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});

Deno.test("http: hundreds of concurrent page loads and clients leaving mid-preview", async () => {
  const agent = await startAgent({
    config: {
      sensors: [{ driver: "sim.camera", width: 640, height: 480 }, {
        driver: "sim.joints",
      }],
    },
  });
  try {
    const base = agent.http!;
    await delay(500);
    const before = (await getJson(`${base}/api/status`)).process
      .resident_memory_bytes;
    for (let round = 0; round < 3; round++) {
      const paths = ["/", "/app.js", "/api/status", "/api/view", "/metrics"];
      const loads = Array.from({ length: 300 }, async (_, i) => {
        const response = await fetch(`${base}${paths[i % paths.length]}`);
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      });
      const leaving = Array.from({ length: 100 }, async () => {
        const abort = new AbortController();
        const request = fetch(`${base}/api/preview/sim_camera.jpg`, {
          signal: abort.signal,
        });
        abort.abort();
        await request.catch(() => {});
      });
      await Promise.all([...loads, ...leaving]);
    }
    const health = await getJson(`${base}/healthz`);
    assert.equal(health.status, "ok");
    const preview = await fetch(`${base}/api/preview/sim_camera.jpg`);
    assert.equal(preview.status, 200);
    await preview.arrayBuffer();
    const after = (await getJson(`${base}/api/status`)).process
      .resident_memory_bytes;
    assert.ok(
      after - before < 96 * 1024 * 1024,
      `resident memory grew from ${before} to ${after}`,
    );
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});

Deno.test("http: /healthz is 503 naming an offline sensor and why", async () => {
  const agent = await startAgent({
    config: {
      sensors: [
        { driver: "sim.joints" },
        { driver: "serial.tfmini", id: "range", port: "/dev/auki-edge-none" },
      ],
    },
  });
  try {
    const response = await fetch(`${agent.http}/healthz`);
    assert.equal(response.status, 503);
    const health = await response.json();
    assert.equal(health.status, "unhealthy");
    assert.equal(health.offline.length, 1);
    assert.equal(health.offline[0].resource_id, "range");
    assert.ok(health.offline[0].reason.length > 0);
    assert.match(health.problems[0], /sensor "range" is offline: /);
    const metrics = parseExposition(
      await (await fetch(`${agent.http}/metrics`)).text(),
    );
    assert.equal(
      valueOf(metrics, "auki_edge_sensor_online", { resource_id: "range" }),
      0,
    );
  } finally {
    await agent.stop();
  }
});

Deno.test("run --http: none serves nothing; bad values exit 2", async () => {
  const quiet = await startAgent({ args: ["--sim", "none", "--http", "none"] });
  try {
    assert.equal(quiet.http, undefined);
  } finally {
    await quiet.stop();
  }
  const bad = await runCli(["run", "--http", "localhost"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^auki-edge run: --http: "localhost" is not HOST:PORT/,
  );
  await withDir(async (dir) => {
    const config = join(dir, "config.json");
    await Deno.writeTextFile(config, JSON.stringify({ http: "nowhere" }));
    const badConfig = await runCli(["run", "--config", config]);
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /config .*config\.json: http: /);
  });
});
