/**
 * `auki-edge config schema` and `auki-edge config check FILE` run as
 * processes: the schema is the zod schemas' JSON Schema with one branch per
 * driver; check prints every problem with its path (exit 2) or "ok".
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ALL_DRIVERS } from "../../../drivers/registry.ts";
import { runCli } from "../../../scripts/harness/agent_process.ts";
import { withDir } from "../../helpers/temp_dir.ts";

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

Deno.test("config schema prints the configuration's JSON Schema", async () => {
  const result = await runCli(["config", "schema"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  const schema = JSON.parse(result.stdout);
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(schema.additionalProperties, false);
  const properties = schema.properties;
  assert.deepEqual(properties.relays.items, { type: "string" });
  assert.deepEqual(properties.log_level.enum, [
    "debug",
    "info",
    "warn",
    "error",
  ]);
  assert.deepEqual(properties.log_format.enum, ["text", "json"]);
  assert.deepEqual(properties.cluster.properties.target.enum, [
    "create",
    "join",
    "join_or_create",
    "most_recent_or_create",
  ]);
  const branches = properties.sensors.items.oneOf;
  assert.deepEqual(
    branches.map((b: { properties: { driver: { const: string } } }) =>
      b.properties.driver.const
    ),
    ALL_DRIVERS.map((d) => d.name),
  );
  const camera = branches[0];
  assert.deepEqual(camera.required, ["driver"]);
  assert.equal(camera.properties.width.type, "integer");
  assert.equal(camera.properties.retention_s.minimum, 0);
  const dynamixel = branches.find((
    b: { properties: { driver: { const: string } } },
  ) => b.properties.driver.const === "serial.dynamixel");
  assert.equal(dynamixel.properties.servos.type, "array");
});

Deno.test("config check: ok for a valid file, every problem with its path for a bad one", async () => {
  await withDir(async (dir) => {
    const write = async (name: string, body: unknown) => {
      const path = join(dir, name);
      await Deno.writeTextFile(
        path,
        typeof body === "string" ? body : JSON.stringify(body),
      );
      return path;
    };
    const good = await write("good.json", {
      log_level: "debug",
      log_format: "json",
      relays: [
        "/ip4/10.0.0.1/tcp/4002/p2p/12D3KooWH8R2rfQYjYkpFEW7ao1J4QPDKLcoA6ofnDVAcfrYS94f",
      ],
      sensors: [{ driver: "sim.camera", width: 320 }, { driver: "sim.joints" }],
    });
    const ok = await runCli(["config", "check", good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), `${good}: ok`);
    assert.equal(ok.stderr, "");

    const bad = await write("bad.json", {
      log_format: "xml",
      relays: ["/ip4/10.0.0.1/tcp/4002"],
      bogus: 1,
      sensors: [
        { driver: "sim.camera", width: "wide" },
        { driver: "sim.joints", rate_hz: -5 },
        { driver: "sim.nope" },
        { retention_s: 1 },
        {
          driver: "serial.dynamixel",
          port: "/dev/null",
          servos: [{ id: 999 }],
        },
        { driver: "sim.uwb" },
        { driver: "sim.uwb" },
      ],
    });
    const result = await runCli(["config", "check", bad]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, "");
    const problems = lines(result.stderr);
    const expected = [
      /^\S+bad\.json: log_format: /,
      /^\S+bad\.json: relays\[0\]: /,
      /^\S+bad\.json: .*"bogus"/,
      /^\S+bad\.json: sensors\[0\]\.width: /,
      /^\S+bad\.json: sensors\[1\]\.rate_hz: /,
      /^\S+bad\.json: sensors\[2\]\.driver: unknown driver "sim\.nope"/,
      /^\S+bad\.json: sensors\[3\]\.driver: /,
      /^\S+bad\.json: sensors\[4\]\.servos\[0\]\.id: /,
      /^\S+bad\.json: sensors\[6\]: sensor id "sim_uwb" is used twice/,
    ];
    for (const pattern of expected) {
      assert.equal(
        problems.filter((line) => pattern.test(line)).length,
        1,
        `one line matching ${pattern} in:\n${result.stderr}`,
      );
    }
    assert.equal(problems.length, expected.length, result.stderr);

    const cases: [string[], RegExp][] = [
      [
        ["config", "check", join(dir, "absent.json")],
        /absent\.json: No such file or directory \(os error 2\)$/,
      ],
      [
        ["config", "check", await write("broken.json", "{")],
        /broken\.json: not valid JSON/,
      ],
      [["config", "check"], /^auki-edge config check: missing FILE$/],
      [["config", "nope"], /^auki-edge config: unknown subcommand "nope"/],
    ];
    for (const [args, pattern] of cases) {
      const failed = await runCli(args);
      assert.equal(failed.code, 2, `${args.join(" ")}: ${failed.stderr}`);
      assert.equal(lines(failed.stderr).length, 1, failed.stderr);
      assert.match(failed.stderr.trim(), pattern);
    }
  }, "auki-edge-config-");
});
