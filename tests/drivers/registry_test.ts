import assert from "node:assert/strict";
import {
  ALL_DRIVERS,
  FFI_DRIVERS,
  SERIAL_DRIVERS,
  SIM_DRIVERS,
  SIM_KINDS,
} from "../../drivers/registry.ts";
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

Deno.test("registry: the FFI drivers are selectable next to the simulators", () => {
  assert.deepEqual(FFI_DRIVERS.map((d) => d.name), ["native", "v4l2"]);
  const names = ALL_DRIVERS.map((d) => d.name);
  assert.equal(new Set(names).size, names.length);
  for (const factory of FFI_DRIVERS) assert.ok(names.includes(factory.name));
});

Deno.test("registry: the six serial drivers are selectable", () => {
  assert.deepEqual(SERIAL_DRIVERS.map((d) => d.name), [
    "serial.ld06",
    "serial.tfmini",
    "serial.rplidar",
    "serial.dwm1001",
    "serial.esp_csi",
    "serial.dynamixel",
  ]);
  const names = ALL_DRIVERS.map((d) => d.name);
  for (const factory of SERIAL_DRIVERS) assert.ok(names.includes(factory.name));
});
