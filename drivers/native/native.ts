/**
 * The `native` driver: a sensor whose driver is a shared library speaking
 * the auki-edge driver ABI (ffi/README.md).
 *
 * ```json
 * { "driver": "native", "id": "front_depth",
 *   "library": "/opt/vendor/libauki_realsense.so",
 *   "config": { "serial": "123456", "width": 848, "height": 480 } }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { RegistryId } from "../../core/registries/entries.ts";
import type { DriverFactory } from "../driver.ts";
import { NativeSensor } from "./native_sensor.ts";

const Config = z.strictObject({
  id: RegistryId,
  frame_id: RegistryId.optional(),
  library: z.string().min(1, "must name a library path or a bundled driver"),
  config: z.record(z.string(), z.unknown()).default(() => ({})),
  read_timeout_ms: z.number().int("must be a whole number of ms")
    .min(1, "must be at least 1 ms")
    .max(60_000, "must be at most 60000 ms").optional(),
  offline_after: z.number().int("must be a whole number")
    .min(1, "must be at least 1").max(1000, "must be at most 1000").default(3),
  retry_min_ms: z.number().int("must be a whole number of ms")
    .min(10, "must be at least 10 ms").default(500),
  retry_max_ms: z.number().int("must be a whole number of ms")
    .min(10, "must be at least 10 ms").default(30_000),
}).refine(
  (c) => c.retry_max_ms >= c.retry_min_ms,
  "retry_max_ms must not be below retry_min_ms",
);

/** The `native` driver factory. */
export const nativeDriver: DriverFactory<typeof Config> = {
  name: "native",
  summary: "a sensor driven by a native driver library (ffi/README.md)",
  config: Config,
  create(config) {
    return new NativeSensor({
      id: config.id,
      frameId: config.frame_id,
      library: config.library,
      config: config.config,
      readTimeoutMs: config.read_timeout_ms,
      offlineAfter: config.offline_after,
      retryMinMs: config.retry_min_ms,
      retryMaxMs: config.retry_max_ms,
    });
  },
};
