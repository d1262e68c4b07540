/**
 * The registry sensor entries of served sensor logs, looked up once per
 * entry hash, for the page's previews and plots.
 *
 * @module
 */
import type { LogResource } from "../catalog/log_resource.ts";
import { SensorEntry } from "../../core/registries/entries.ts";
import type { RegistryStore } from "../registries/store.ts";

/** Sensor entries by hash, read from the local registry. */
export class SensorEntries {
  readonly #registry: RegistryStore;
  readonly #byHash = new Map<string, SensorEntry>();

  /** Entries of `registry`. */
  constructor(registry: RegistryStore) {
    this.#registry = registry;
  }

  /** The sensor entry of a `sensor_log` resource; undefined for other logs. */
  async of(resource: LogResource): Promise<SensorEntry | undefined> {
    const kind = resource.kind;
    if (kind.variant !== "sensor_log") return undefined;
    const { sensor_id, sensor_hash } = kind.sensor;
    const known = this.#byHash.get(sensor_hash);
    if (known !== undefined) return known;
    const stored = await this.#registry.get("sensor", sensor_id, sensor_hash);
    if (stored === undefined) return undefined;
    const entry = SensorEntry.parse(JSON.parse(stored.canonicalJson));
    this.#byHash.set(sensor_hash, entry);
    return entry;
  }
}

/** The newest recorded entry of a log still in its memory cache. */
export function latestEntry(
  resource: LogResource,
): { index: number; timestampNs: bigint; payload: Uint8Array } | undefined {
  const log = resource.log;
  return log.nextIndex === 0 ? undefined : log.cached(log.nextIndex - 1);
}
