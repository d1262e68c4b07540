/**
 * `/metrics` from a status, parsed strictly: every family, the cluster,
 * relay, clock and connection families' values, escaped ids, and a clock
 * family without samples before any estimate.
 *
 * @module
 */
import assert from "node:assert/strict";
import { metricsText } from "../../../agent/observe/metrics.ts";
import { parseExposition } from "./_exposition_parser.ts";
import { statusWith } from "./_status.ts";

function value(
  families: ReturnType<typeof parseExposition>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return families.get(name)?.samples.find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )?.value;
}

Deno.test("metrics: a status as families with the values it holds", () => {
  const families = parseExposition(metricsText(statusWith()));
  const odd = { resource_id: 'odd "id"' };
  assert.equal(value(families, "auki_edge_sensor_samples_total", odd), 5);
  assert.equal(value(families, "auki_edge_sensor_online", odd), 0);
  assert.equal(
    value(families, "auki_edge_sensor_errors_total", {
      ...odd,
      kind: "device",
    }),
    2,
  );
  assert.equal(
    value(families, "auki_edge_sensor_errors_total", {
      ...odd,
      kind: "record",
    }),
    1,
  );
  assert.equal(
    value(families, "auki_edge_sensor_errors_total", { ...odd, kind: "read" }),
    4,
  );
  assert.equal(
    value(families, "auki_edge_stream_subscribers", { resource_id: "cam" }),
    2,
  );
  assert.equal(
    value(families, "auki_edge_libp2p_connections", { path: "relayed" }),
    1,
  );
  assert.equal(
    value(families, "auki_edge_cluster_role", { role: "member" }),
    1,
  );
  assert.equal(
    value(families, "auki_edge_cluster_role", { role: "manager" }),
    0,
  );
  assert.equal(value(families, "auki_edge_cluster_members"), 3);
  assert.equal(
    value(families, "auki_edge_relay_reservation", { state: "waiting" }),
    1,
  );
  assert.equal(
    value(families, "auki_edge_relay_reservation", { state: "reserved" }),
    0,
  );
  assert.equal(
    value(families, "auki_edge_domain_clock_offset_seconds"),
    0.0015,
  );
  assert.equal(
    value(families, "auki_edge_domain_clock_uncertainty_seconds"),
    0.00002,
  );
  assert.equal(value(families, "process_resident_memory_bytes"), 123_456_789);
  assert.equal(families.get("process_cpu_seconds_total")?.type, "counter");
  for (const family of families.values()) {
    assert.ok(family.help.length > 0, family.name);
    if (family.name.endsWith("_total")) {
      assert.equal(family.type, "counter", family.name);
    }
  }
});

Deno.test("metrics: standalone without a clock estimate keeps every family", () => {
  const families = parseExposition(
    metricsText(statusWith({ cluster: null, domain_clock: null, relays: [] })),
  );
  assert.deepEqual(
    families.get("auki_edge_domain_clock_offset_seconds")?.samples,
    [],
  );
  assert.equal(value(families, "auki_edge_cluster_role", { role: "none" }), 1);
  assert.equal(value(families, "auki_edge_cluster_members"), 0);
  assert.deepEqual(families.get("auki_edge_relay_reservation")?.samples, []);
});

Deno.test("metrics: the relay booking shares the relay reservation family, labelled source=booking", () => {
  const relay = "/ip4/203.0.113.7/tcp/4002/p2p/12D3KooWRelay";
  const families = parseExposition(metricsText(statusWith({
    relay_booking: {
      state: "reserved",
      booking_id: "b-1",
      relay,
      circuit: `${relay}/p2p-circuit/p2p/12D3KooWpeer`,
      lease_expires_at: null,
      authority_expires_at: null,
    },
  })));
  const samples = families.get("auki_edge_relay_reservation")!.samples;
  assert.deepEqual(
    samples.filter((s) => s.labels.source === "booking").map((s) => [
      s.labels.relay,
      s.labels.state,
      s.value,
    ]),
    [
      [relay, "booking", 0],
      [relay, "waiting_for_slot", 0],
      [relay, "reserved", 1],
      [relay, "failed", 0],
    ],
  );
  assert.equal(
    value(families, "auki_edge_relay_reservation", {
      source: "configured",
      state: "waiting",
    }),
    1,
  );
  const waiting = parseExposition(metricsText(statusWith({
    relays: [],
    relay_booking: {
      state: "booking",
      booking_id: null,
      relay: null,
      circuit: null,
      lease_expires_at: null,
      authority_expires_at: null,
    },
  })));
  assert.equal(
    value(waiting, "auki_edge_relay_reservation", {
      relay: "",
      source: "booking",
      state: "booking",
    }),
    1,
  );
});
