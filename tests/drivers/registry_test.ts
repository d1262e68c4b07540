import assert from "node:assert/strict";
import { SIM_DRIVERS, SIM_KINDS } from "../../drivers/registry.ts";
import { registryEntries } from "./fake_sink.ts";

Deno.test("registry: every --sim kind names a simulated driver", () => {
  const names = SIM_DRIVERS.map((d) => d.name);
  assert.deepEqual(names, [
    "sim.camera",
    "sim.lidar2d",
    "sim.uwb",
    "sim.joints",
  ]);
  assert.deepEqual(SIM_KINDS, {
    camera: "sim.camera",
    rangefinder: "sim.lidar2d",
    uwb: "sim.uwb",
    joints: "sim.joints",
  });
});

Deno.test("registry: defaults build drivers with distinct valid descriptions", () => {
  const sensors = SIM_DRIVERS.map((factory) => {
    assert.ok(factory.summary.length > 0);
    return registryEntries(factory.create(factory.config.parse({})).description)
      .sensor;
  });
  assert.deepEqual(sensors.map((s) => s.kind), [
    "camera",
    "rangefinder",
    "rf",
    "joint_encoders",
  ]);
  assert.equal(new Set(sensors.map((s) => s.sensor_id)).size, 4);
});
