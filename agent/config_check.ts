/**
 * Whole-file checks of the configuration: every problem with its path (the
 * file's shape and each sensor's settings against its driver's schema), and
 * the file's JSON Schema generated from the same zod schemas.
 *
 * @module
 */
import { z } from "zod";
import type { DriverFactory } from "../drivers/driver.ts";
import {
  checkSensor,
  ConfigFile,
  duplicateId,
  issueLines,
  SensorConfig,
} from "./config.ts";

/** Every problem of a parsed configuration value, one `<path>: <message>` each. */
export function configProblems(
  value: unknown,
  drivers: readonly DriverFactory[],
): string[] {
  const parsed = ConfigFile.safeParse(value);
  const problems = parsed.success ? [] : issueLines(parsed.error, "");
  const sensors = typeof value === "object" && value !== null &&
      Array.isArray((value as { sensors?: unknown }).sensors)
    ? (value as { sensors: unknown[] }).sensors
    : [];
  const ids = new Set<string>();
  sensors.forEach((entry, i) => {
    // Entries without a valid `driver` are already reported by the file's shape.
    if (!SensorConfig.safeParse(entry).success) return;
    const at = `sensors[${i}]`;
    const checked = checkSensor(entry as { driver: string }, drivers, at);
    if ("problems" in checked) {
      problems.push(...checked.problems);
      return;
    }
    const id = checked.driver.description.sensor.sensor_id;
    if (ids.has(id)) problems.push(duplicateId(at, id));
    ids.add(id);
  });
  return problems;
}

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, unknown>;
  required?: string[];
};

/**
 * The JSON Schema (draft 2020-12) of the configuration file: the file's
 * shape, with each sensor entry one of the drivers' settings.
 */
export function configJsonSchema(
  drivers: readonly DriverFactory[],
): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigFile, { io: "input" }) as JsonSchema;
  const host = z.toJSONSchema(SensorConfig, { io: "input" }) as JsonSchema;
  const sensor = (factory: DriverFactory): JsonSchema => {
    const { $schema: _, ...own } = z.toJSONSchema(factory.config, {
      io: "input",
    }) as JsonSchema;
    return {
      ...own,
      description: factory.summary,
      properties: {
        ...host.properties,
        driver: { const: factory.name },
        ...own.properties,
      },
      required: ["driver", ...(own.required ?? [])],
    };
  };
  const sensors = schema.properties!.sensors as JsonSchema;
  sensors.items = { oneOf: drivers.map(sensor) };
  return schema;
}
