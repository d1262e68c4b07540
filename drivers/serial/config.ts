/**
 * Configuration of the serial drivers: which port (`port` path or `port_id`
 * stable id, exactly one), its `baud` rate, the sensor's `id`, `frame_id`
 * and `rate_hz`, built by {@link serialConfig} with each driver's defaults
 * and its own fields.
 *
 * @module
 */
import { z } from "zod";
import { RegistryId } from "../../core/registries/entries.ts";
import { RateHz } from "../sim/config.ts";
import type { PortSelector } from "./port_selector.ts";

/** A baud rate: any positive integer up to 4 Mbaud (the kernel accepts any with `BOTHER`). */
const Baud: z.ZodNumber = z.number()
  .int("must be a whole number of baud")
  .positive("must be positive")
  .max(4_000_000, "must be at most 4000000");

/** `port` and `port_id` fields (check with {@link hasOnePort}). */
const PortFields = {
  /** A device path, e.g. `/dev/ttyUSB0` or `/dev/serial/by-id/usb-...`. */
  port: z.string().min(1, "must not be empty").optional(),
  /** A stable id: `vendor:product[:serial]` in hex (see `auki-edge ports`) or a by-id link name. */
  port_id: z.string().min(1, "must not be empty").optional(),
};

/** Whether exactly one of `port` and `port_id` is set (refine with {@link ONE_PORT}). */
function hasOnePort(c: { port?: string; port_id?: string }): boolean {
  return (c.port === undefined) !== (c.port_id === undefined);
}

/** The issue {@link hasOnePort} reports. */
const ONE_PORT: { message: string; path: string[] } = {
  message:
    "set exactly one of port (a device path) and port_id (vendor:product[:serial] or a by-id name)",
  path: ["port"],
};

/** The port selector of a validated configuration. */
export function selectorOf(
  config: { port?: string; port_id?: string },
): PortSelector {
  return config.port !== undefined
    ? { path: config.port }
    : { id: config.port_id! };
}

/** A serial driver's defaults for the fields every serial driver has. */
export interface SerialDefaults {
  /** The device's line speed. */
  baud: number;
  /** The sensor id. */
  id: string;
  /** The sample rate, Hz. */
  rateHz: number;
}

/** The fields every serial driver has, with `defaults`. */
function commonFields(defaults: SerialDefaults) {
  return {
    ...PortFields,
    baud: Baud.default(defaults.baud),
    id: RegistryId.default(defaults.id),
    frame_id: RegistryId.optional(),
    rate_hz: RateHz.default(defaults.rateHz),
  };
}

/** The shape of a serial driver's configuration: the common fields, then (overriding) its own. */
export type SerialShape<S extends z.ZodRawShape> =
  & Omit<ReturnType<typeof commonFields>, keyof S>
  & S;

/**
 * A serial driver's configuration schema: a strict object of the port
 * fields, `baud`, `id`, `frame_id` (optional) and `rate_hz` with
 * `defaults`, plus the driver's own `fields` (which may redefine a common
 * one), refined to name exactly one port.
 */
export function serialConfig<S extends z.ZodRawShape>(
  defaults: SerialDefaults,
  fields: S,
): z.ZodObject<z.core.util.Writeable<SerialShape<S>>, z.core.$strict> {
  return z.strictObject({ ...commonFields(defaults), ...fields } as SerialShape<
    S
  >).refine(hasOnePort, ONE_PORT);
}
