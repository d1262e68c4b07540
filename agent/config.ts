/**
 * The agent's configuration file (JSON) and its resolution against defaults.
 * Sensor entries name a `driver` and carry that driver's own settings next to
 * the host settings `retention_s` and `cache_mb`.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import type { DriverFactory, SensorDriver } from "../drivers/driver.ts";
import { unstreamableReason } from "./sensors/entry_size.ts";
import { parseJson } from "../core/codec/json.ts";
import type { SensorSpec } from "./agent.ts";
import {
  errorMessage,
  fileErrorMessage,
  LOG_FORMATS,
  LOG_LEVELS,
} from "../core/logging.ts";
import { parseRelayAddress } from "./relay/relay_address.ts";
import { PeerIdText } from "./cluster/discovery_types.ts";
import { AuthConfig } from "./genb/settings.ts";
import { ConfigError } from "./config_error.ts";

/** Default listen address, fine for devices (tests use port 0). */
export const DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";
/** Default log retention of a sensor, seconds. */
const DEFAULT_RETENTION_S = 60;
/** Default memory cache per log, MiB. */
const DEFAULT_CACHE_MB = 8;

/** A sensor entry: its `driver` and host settings; the driver's own settings ride along. */
export const SensorConfig = z.looseObject({
  driver: z.string().min(1),
  retention_s: z.number().min(0).optional(),
  cache_mb: z.number().positive().optional(),
});

/** Bootstrap policies (the SDK's `ClusterTarget`). */
export const CLUSTER_TARGETS = [
  "create",
  "join",
  "join_or_create",
  "most_recent_or_create",
] as const;

/** The `cluster` section: which cluster to be a member of, through which Discovery. */
const ClusterConfig = z.strictObject({
  discovery: z.url().optional(),
  token: z.string().min(1).optional(),
  embedded_discovery: z.string().min(1).optional(),
  name: z.string().regex(
    /^[A-Za-z0-9_-]{1,64}$/,
    "letters, digits, _ and -, 1 to 64",
  ).optional(),
  target: z.enum(CLUSTER_TARGETS).optional(),
  wire_encoding: z.enum(["protobuf", "json"]).optional(),
  allow_peers: z.array(PeerIdText).optional(),
});

/** The configuration file's shape. */
export const ConfigFile = z.strictObject({
  name: z.string().min(1).optional(),
  storage: z.string().min(1).optional(),
  seed: z.string().min(1).optional(),
  listen: z.array(z.string().min(1)).optional(),
  announce: z.array(z.string().min(1)).optional(),
  relays: z.array(
    z.string().transform((text, ctx) => {
      try {
        return parseRelayAddress(text);
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          message: errorMessage(error),
        });
        return z.NEVER;
      }
    }),
  ).optional(),
  cluster: ClusterConfig.optional(),
  http: z.string().regex(
    /^(none|(\[[^\]]+\]|[^:[\]]+):\d{1,5})$/,
    'HOST:PORT (IPv6 hosts in brackets) or "none"',
  ).refine(
    (raw) =>
      raw === "none" || Number(raw.slice(raw.lastIndexOf(":") + 1)) <= 65535,
    "the port is above 65535",
  ).optional(),
  foxglove: z.string().min(1).optional(),
  log_level: z.enum(LOG_LEVELS).optional(),
  log_format: z.enum(LOG_FORMATS).optional(),
  retention_s: z.number().min(0).optional(),
  cache_mb: z.number().positive().optional(),
  sensors: z.array(SensorConfig).optional(),
  auth: AuthConfig.optional(),
});
/** The configuration file's shape. */
export type ConfigFile = z.infer<typeof ConfigFile>;

/** Reads and validates a configuration file. */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`config ${path}: ${fileErrorMessage(error)}`);
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    throw new ConfigError(
      `config ${path}: not valid JSON: ${errorMessage(error)}`,
    );
  }
  const parsed = ConfigFile.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(
      `config ${path}: ${issueLines(parsed.error, "").join("; ")}`,
    );
  }
  return parsed.data;
}

/** The default storage root: `~/.auki/auki-edge`. */
export function defaultStorage(): string {
  const home = Deno.env.get("HOME") ?? ".";
  return join(home, ".auki", "auki-edge");
}

/** The default seed file inside a storage root. */
export function defaultSeedPath(storage: string): string {
  return join(storage, "identity.seed");
}

/**
 * Builds the sensor specs of the config's `sensors` plus `extra` (sensors
 * added on the command line), each validated by its driver's schema.
 */
export function resolveSensors(
  file: ConfigFile | undefined,
  drivers: readonly DriverFactory[],
  extra: { driver: string }[],
  where: string,
): SensorSpec[] {
  const retentionS = file?.retention_s ?? DEFAULT_RETENTION_S;
  const cacheMb = file?.cache_mb ?? DEFAULT_CACHE_MB;
  const entries = [...(file?.sensors ?? []), ...extra];
  const ids = new Set<string>();
  return entries.map((entry, i) => {
    const fromFile = i < (file?.sensors?.length ?? 0);
    const at = fromFile ? `sensors[${i}]` : `--sim ${entry.driver}`;
    const source = fromFile ? `${where}: ` : "";
    const checked = checkSensor(entry, drivers, at);
    if ("problems" in checked) {
      throw new ConfigError(`${source}${checked.problems.join("; ")}`);
    }
    const { driver, factory } = checked;
    const { retention_s, cache_mb } = entry as z.infer<typeof SensorConfig>;
    const id = driver.description.sensor.sensor_id;
    if (ids.has(id)) {
      throw new ConfigError(`${source}${duplicateId(at, id)}`);
    }
    ids.add(id);
    return {
      driver,
      retention: {
        retentionNs: BigInt(
          Math.round(
            (retention_s ?? file?.retention_s ?? factory.defaultRetentionS ??
              retentionS) * 1e9,
          ),
        ),
        cacheBytes: Math.round((cache_mb ?? cacheMb) * 1024 * 1024),
      },
    };
  });
}

/** A sensor's driver, or every problem of its entry as `<at>.<key>: <message>`. */
export function checkSensor(
  entry: { driver: string },
  drivers: readonly DriverFactory[],
  at: string,
):
  | { factory: DriverFactory; driver: SensorDriver }
  | { problems: string[] } {
  const { driver: name, retention_s: _r, cache_mb: _c, ...settings } = entry as
    & z.infer<typeof SensorConfig>
    & Record<string, unknown>;
  const factory = drivers.find((d) => d.name === name);
  if (factory === undefined) {
    return {
      problems: [
        `${at}.driver: unknown driver "${name}" (known: ${
          drivers.map((d) => d.name).join(", ")
        })`,
      ],
    };
  }
  const parsed = factory.config.safeParse(settings);
  if (!parsed.success) return { problems: issueLines(parsed.error, at) };
  const driver = factory.create(parsed.data);
  // Drivers with `prepare` learn their layout at start (the host checks it).
  const unstreamable = driver.prepare === undefined
    ? unstreamableReason(driver.description)
    : undefined;
  if (unstreamable !== undefined) {
    return {
      problems: [
        `${at}: sensor "${driver.description.sensor.sensor_id}": ${unstreamable}`,
      ],
    };
  }
  return { factory, driver };
}

/** The problem of a sensor id used by two entries. */
export function duplicateId(at: string, id: string): string {
  return `${at}: sensor id "${id}" is used twice; give each sensor its own id`;
}

/** A zod issue path as it is written in JSON terms: `sensors[1].rate_hz`. */
function issuePath(base: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (at, key) =>
      typeof key === "number"
        ? `${at}[${key}]`
        : at === ""
        ? String(key)
        : `${at}.${String(key)}`,
    base,
  );
}

/** Each issue of a zod error as one `<path>: <message>` line under `base`. */
export function issueLines(error: z.ZodError, base: string): string[] {
  return error.issues.map((issue) => {
    const path = issuePath(base, issue.path);
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
}
