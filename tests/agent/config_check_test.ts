/**
 * configProblems and configJsonSchema on values in memory: every problem
 * with its JSON path, root-level problems without one, and the schema's
 * driver branches built from the same zod schemas.
 *
 * @module
 */
import assert from "node:assert/strict";
import { configJsonSchema, configProblems } from "../../agent/config_check.ts";
import { SIM_DRIVERS } from "../../drivers/registry.ts";

Deno.test("configProblems: none for a valid file, each with its path otherwise", () => {
  assert.deepEqual(
    configProblems(
      { sensors: [{ driver: "sim.uwb", rate_hz: 5 }] },
      SIM_DRIVERS,
    ),
    [],
  );
  assert.deepEqual(configProblems({}, SIM_DRIVERS), []);
  assert.deepEqual(
    configProblems(
      {
        cluster: { target: "sometimes" },
        sensors: [{ driver: "sim.uwb", rate_hz: 0, id: 7 }, { driver: "v4l2" }],
      },
      SIM_DRIVERS,
    ).map((line) => line.split(":")[0]),
    [
      "cluster.target",
      "sensors[0].id",
      "sensors[0].rate_hz",
      "sensors[1].driver",
    ],
  );
});

Deno.test("configProblems: a value that is not an object is one root problem", () => {
  for (const value of [[], "x", null, 3]) {
    const problems = configProblems(value, SIM_DRIVERS);
    assert.equal(problems.length, 1, JSON.stringify(value));
    assert.match(problems[0], /^Invalid input: expected object/);
  }
  const notList = configProblems(
    { sensors: { driver: "sim.uwb" } },
    SIM_DRIVERS,
  );
  assert.deepEqual(notList.map((line) => line.split(":")[0]), ["sensors"]);
});

Deno.test("configJsonSchema: one sensor branch per driver, host settings included", () => {
  const schema = configJsonSchema(SIM_DRIVERS) as {
    properties: { sensors: { items: { oneOf: Record<string, unknown>[] } } };
  };
  const branches = schema.properties.sensors.items.oneOf as {
    description: string;
    properties: Record<string, { const?: string }>;
  }[];
  assert.deepEqual(
    branches.map((b) => b.properties.driver.const),
    SIM_DRIVERS.map((d) => d.name),
  );
  for (const [i, branch] of branches.entries()) {
    assert.equal(branch.description, SIM_DRIVERS[i].summary);
    assert.ok("retention_s" in branch.properties);
    assert.ok("cache_mb" in branch.properties);
    assert.ok("id" in branch.properties);
  }
});
