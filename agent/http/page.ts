/**
 * The status page served at `/`: plain HTML, CSS and a small script (no
 * build step, no CDN). The script polls `/api/status` every second and
 * `/api/view` twice a second, and reloads each camera preview a few times
 * a second while the page is visible. The gen-B relay booking (state,
 * relay, circuit address, lease expiry, why it failed) has its own section,
 * shown only while the agent has a booking.
 *
 * @module
 */

/** `GET /`. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>auki-edge</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>auki-edge</h1>
  <span id="health" class="badge">…</span>
  <code id="peer"></code>
</header>
<main>
  <section>
    <h2>Resources</h2>
    <table id="resources">
      <thead><tr>
        <th>resource_id</th><th>kind</th><th>rate</th><th>bytes/s</th>
        <th>entries</th><th>on disk</th><th>subscribers</th><th>state</th>
      </tr></thead>
      <tbody></tbody>
    </table>
    <p id="problems"></p>
  </section>
  <section><h2>Cameras</h2><div id="cameras" class="tiles"></div></section>
  <section><h2>Lidar</h2><div id="scans" class="tiles"></div></section>
  <section><h2>UWB</h2><div id="uwb"></div></section>
  <section><h2>Joints</h2><div id="joints"></div></section>
  <section><h2>Frames</h2><div id="frames"></div></section>
  <section><h2>Cluster, relays and clock</h2><dl id="network"></dl></section>
  <section id="booking-section" hidden>
    <h2>Relay booking</h2><dl id="booking"></dl>
  </section>
</main>
<script src="/app.js"></script>
</body>
</html>
`;

/** `GET /app.css`. */
export const APP_CSS = `body {
  font: 14px/1.4 system-ui, sans-serif;
  margin: 0;
  color: #1d2329;
  background: #f5f6f8;
}
header {
  display: flex;
  gap: 1em;
  align-items: center;
  padding: 0.5em 1em;
  background: #1d2329;
  color: #fff;
}
header h1 { font-size: 1.2em; margin: 0; }
main { padding: 0 1em 2em; }
section { margin-top: 1.2em; }
h2 { font-size: 1em; margin: 0 0 0.4em; }
table { border-collapse: collapse; background: #fff; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #dde; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.none { color: #777; }
.badge { padding: 0.1em 0.6em; border-radius: 0.8em; background: #777; }
.ok, .online { color: #12703a; }
.badge.ok { background: #12703a; color: #fff; }
.badge.unhealthy { background: #a3261b; color: #fff; }
.offline { color: #a3261b; }
.tiles { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; background: #fff; padding: 0.4em; }
figcaption { font-family: monospace; }
img.preview { width: 320px; height: auto; min-width: 32px; min-height: 24px; background: #000; display: block; }
canvas.scan { background: #fff; border: 1px solid #dde; display: block; }
.bar { display: inline-block; height: 0.8em; background: #3b6fb6; vertical-align: middle; }
ul.tree { margin: 0; padding-left: 1.2em; font-family: monospace; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; margin: 0; }
dt { font-weight: bold; }
dd { margin: 0; font-family: monospace; }
`;

/** `GET /app.js`. */
export const APP_JS = `"use strict";
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children) {
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function human(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return (unit === 0 ? String(Math.round(value)) : value.toFixed(1)) + " " +
    units[unit];
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  return await response.json();
}

function renderStatus(status, health) {
  $("peer").textContent = status.peer_id;
  const badge = $("health");
  badge.textContent = health.status;
  badge.className = "badge " + health.status;
  $("problems").textContent = health.problems.join("; ");
  const body = $("resources").tBodies[0];
  const rows = status.resources.map((r) =>
    el(
      "tr",
      { "data-resource": r.resource_id },
      el("td", {}, r.resource_id),
      el("td", {}, r.kind),
      el("td", { class: "num" }, r.rate_hz.toFixed(1) + " Hz"),
      el("td", { class: "num" }, human(r.bytes_per_second) + "/s"),
      el("td", { class: "num" }, r.entries),
      el("td", { class: "num" }, human(r.bytes)),
      el("td", { class: "num" }, r.subscribers),
      el(
        "td",
        { class: r.online ? "online" : "offline" },
        r.online ? "online" : "offline",
      ),
    )
  );
  body.replaceChildren(...rows);
  const network = $("network");
  const items = [];
  const add = (name, value) => items.push(el("dt", {}, name), el("dd", {}, value));
  const cluster = status.cluster;
  add(
    "cluster",
    cluster === null
      ? "none (standalone, or not joined yet)"
      : cluster.name + ": " + (cluster.is_manager ? "Manager" : "member") +
        ", " + cluster.members + " members",
  );
  for (const member of status.members) add("member", member);
  for (const relay of status.relays) {
    add("relay", relay.relay + " — " + relay.state +
      (relay.error ? ": " + relay.error : ""));
  }
  add(
    "domain clock",
    status.domain_clock === null
      ? "no estimate"
      : "offset " + status.domain_clock.offset_ns + " ns ± " +
        status.domain_clock.uncertainty_ns + " ns",
  );
  add("connections", status.connections.direct + " direct, " +
    status.connections.relayed + " relayed");
  add("memory", human(status.process.resident_memory_bytes));
  add("cpu", status.process.cpu_seconds.toFixed(1) + " s");
  add("event-loop lag",
    (status.process.event_loop_lag_seconds * 1000).toFixed(1) + " ms");
  for (const address of status.multiaddrs) add("address", address);
  network.replaceChildren(...items);
  // A status of an older agent has no booking.
  renderBooking(status.relay_booking ?? null);
}

const BOOKING_STATES = {
  booking: "booking a relay slot",
  waiting_for_slot: "waiting for a slot",
  reserved: "reserved",
  failed: "failed",
};

function renderBooking(booking) {
  $("booking-section").hidden = booking === null;
  if (booking === null) return $("booking").replaceChildren();
  const items = [];
  const add = (name, value, attrs) => {
    if (value) items.push(el("dt", {}, name), el("dd", attrs || {}, value));
  };
  add("state", BOOKING_STATES[booking.state] || booking.state, {
    class: booking.state === "reserved"
      ? "ok"
      : booking.state === "failed"
      ? "offline"
      : "",
  });
  add("failure", booking.error, { class: "offline" });
  add("retry at", booking.retry_at);
  add("booking", booking.booking_id);
  add("relay", booking.relay);
  add("circuit", booking.circuit);
  add("lease until", booking.lease_expires_at);
  add("renewed before", booking.authority_expires_at);
  $("booking").replaceChildren(...items);
}

const previews = new Map();

function renderCameras(cameras) {
  const box = $("cameras");
  if (cameras.length === 0 && previews.size === 0) {
    return box.replaceChildren(none("cameras"));
  }
  if (previews.size === 0) box.replaceChildren();
  const wanted = new Set(cameras.map((c) => c.resource_id));
  for (const [id, figure] of previews) {
    if (!wanted.has(id)) {
      figure.remove();
      previews.delete(id);
    }
  }
  for (const camera of cameras) {
    if (previews.has(camera.resource_id)) continue;
    const img = el("img", {
      class: "preview",
      alt: "preview of " + camera.resource_id,
      width: "320",
      height: String(Math.max(24, Math.round(320 * camera.height / camera.width))),
      "data-resource": camera.resource_id,
    });
    img.style.aspectRatio = camera.width + " / " + camera.height;
    const figure = el("figure", {}, img, el("figcaption", {}, camera.resource_id));
    previews.set(camera.resource_id, figure);
    box.append(figure);
    refreshPreview(img, camera.resource_id);
  }
}

function refreshPreview(img, id) {
  const next = () => {
    if (!img.isConnected) return;
    setTimeout(() => refreshPreview(img, id), 250);
  };
  if (document.hidden) return next();
  const loader = new Image();
  loader.onload = () => {
    img.src = loader.src;
    next();
  };
  loader.onerror = next;
  loader.src = "/api/preview/" + encodeURIComponent(id) + ".jpg?t=" + Date.now();
}

function renderScans(scans) {
  const box = $("scans");
  if (scans.length === 0) return box.replaceChildren(none("lidars"));
  box.replaceChildren(...scans.map((scan) => {
    const size = 320;
    const canvas = el("canvas", {
      class: "scan",
      width: String(size),
      height: String(size),
      "data-resource": scan.resource_id,
      "data-points": String(scan.points.length),
    });
    const g = canvas.getContext("2d");
    let reach = 1;
    for (const [x, y] of scan.points) reach = Math.max(reach, Math.abs(x), Math.abs(y));
    const metres = Math.ceil(reach);
    const scale = (size / 2 - 4) / metres;
    g.strokeStyle = "#dde";
    for (let m = 1; m <= metres; m++) {
      g.beginPath();
      g.arc(size / 2, size / 2, m * scale, 0, 2 * Math.PI);
      g.stroke();
    }
    g.fillStyle = "#c0392b";
    for (const [x, y] of scan.points) {
      // Top-down, x forward (up), y left.
      g.fillRect(size / 2 - y * scale - 1, size / 2 - x * scale - 1, 3, 3);
    }
    g.fillStyle = "#1d2329";
    g.fillText(metres + " m", 4, 12);
    return el("figure", {}, canvas, el("figcaption", {}, scan.resource_id +
      " (" + scan.points.length + " points, rings every 1 m)"));
  }));
}

function none(what) {
  return el("span", { class: "none" }, "no " + what);
}

function renderUwb(uwb) {
  if (uwb.length === 0) return $("uwb").replaceChildren(none("UWB tags"));
  $("uwb").replaceChildren(...uwb.map((u) =>
    el(
      "div",
      {},
      el("strong", {}, u.resource_id),
      " ",
      u.ranges.map((r) => r.anchor_id + " " + r.distance_m.toFixed(3) + " m").join(", "),
      u.position
        ? " — position (" + [u.position.x, u.position.y, u.position.z]
          .map((v) => v.toFixed(3)).join(", ") + ") m"
        : "",
    )
  ));
}

function renderJoints(joints) {
  if (joints.length === 0) {
    return $("joints").replaceChildren(none("joint encoders"));
  }
  $("joints").replaceChildren(...joints.map((j) =>
    el(
      "div",
      {},
      el("strong", {}, j.resource_id),
      ...j.angles_rad.map((a, i) => {
        const degrees = a * 180 / Math.PI;
        const bar = el("span", { class: "bar" });
        bar.style.width = Math.min(180, Math.abs(degrees)) + "px";
        return el("div", {}, "joint " + i + ": " + degrees.toFixed(1) + "° ", bar);
      }),
    )
  ));
}

function renderFrames(transforms) {
  const children = new Map();
  const isChild = new Set();
  for (const t of transforms) {
    if (!children.has(t.from_frame)) children.set(t.from_frame, []);
    children.get(t.from_frame).push(t);
    isChild.add(t.to_frame);
  }
  const roots = [...children.keys()].filter((f) => !isChild.has(f));
  if (transforms.length === 0) {
    return $("frames").replaceChildren(none("pose logs or static transforms"));
  }
  const seen = new Set();
  const branch = (frame) => {
    const list = el("ul", { class: "tree" });
    for (const t of children.get(frame) || []) {
      if (seen.has(t.resource_id)) continue;
      seen.add(t.resource_id);
      list.append(el(
        "li",
        {},
        t.to_frame + " (" + t.writer_mode + ", " + t.resource_id + ") t=(" +
          t.translation.map((v) => v.toFixed(3)).join(", ") + ") q=(" +
          t.rotation.map((v) => v.toFixed(3)).join(", ") + ")",
        branch(t.to_frame),
      ));
    }
    return list;
  };
  $("frames").replaceChildren(...roots.map((root) =>
    el("div", {}, el("code", {}, root), branch(root))
  ));
}

async function pollStatus() {
  try {
    const [status, health] = await Promise.all([
      getJson("/api/status"),
      getJson("/healthz"),
    ]);
    renderStatus(status, health);
  } catch (error) {
    $("health").textContent = "unreachable";
    $("health").className = "badge unhealthy";
  }
  setTimeout(pollStatus, 1000);
}

async function pollView() {
  try {
    if (!document.hidden) {
      const view = await getJson("/api/view");
      renderCameras(view.cameras);
      renderScans(view.scans);
      renderUwb(view.uwb);
      renderJoints(view.joints);
      renderFrames(view.transforms);
    }
  } catch (error) {
    console.warn(error);
  }
  setTimeout(pollView, 500);
}

pollStatus();
pollView();
`;
