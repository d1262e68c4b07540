/**
 * `/healthz` from a status: healthy only with every sensor online, an
 * address and, when configured for a cluster, membership; each problem is
 * named.
 *
 * @module
 */
import assert from "node:assert/strict";
import { healthOf } from "../../../agent/observe/health.ts";
import { statusWith } from "./_status.ts";

Deno.test("health: an offline sensor, no address and no membership are each named", () => {
  const health = healthOf(
    statusWith({ multiaddrs: [], cluster: null }),
    "lab",
  );
  assert.equal(health.status, "unhealthy");
  assert.equal(health.serving, false);
  assert.deepEqual(health.cluster, { name: "lab", member: false });
  assert.deepEqual(health.offline, [
    { resource_id: 'odd "id"', reason: "device unplugged" },
  ]);
  assert.deepEqual(health.problems, [
    'sensor "odd "id"" is offline: device unplugged',
    "the agent has no address peers can dial",
    'not a member of cluster "lab" yet',
  ]);
});

Deno.test("health: ok when every sensor is online, serving and a member", () => {
  const base = statusWith();
  const health = healthOf(
    statusWith({
      sensors: base.sensors.map((s) => ({ ...s, online: true, reason: null })),
    }),
    "lab",
  );
  assert.equal(health.status, "ok");
  assert.deepEqual(health.problems, []);
  assert.deepEqual(health.cluster, { name: "lab", member: true });
  const standalone = healthOf(
    statusWith({ cluster: null, sensors: [] }),
    undefined,
  );
  assert.equal(standalone.status, "ok");
  assert.equal(standalone.cluster, null);
});
