/**
 * Configuration fields shared by the serial drivers: which port (`port`
 * path or `port_id` stable id, exactly one) and its `baud` rate.
 *
 * @module
 */
import { z } from "zod";
import type { PortSelector } from "./port_selector.ts";

/** A baud rate: any positive integer up to 4 Mbaud (the kernel accepts any with `BOTHER`). */
export const Baud: z.ZodNumber = z.number()
  .int("must be a whole number of baud")
  .positive("must be positive")
  .max(4_000_000, "must be at most 4000000");

/** `port` and `port_id` fields (check with {@link hasOnePort}). */
export const PortFields = {
  /** A device path, e.g. `/dev/ttyUSB0` or `/dev/serial/by-id/usb-...`. */
  port: z.string().min(1, "must not be empty").optional(),
  /** A stable id: `vendor:product[:serial]` in hex (see `auki-edge ports`) or a by-id link name. */
  port_id: z.string().min(1, "must not be empty").optional(),
};

/** Whether exactly one of `port` and `port_id` is set (refine with {@link ONE_PORT}). */
export function hasOnePort(c: { port?: string; port_id?: string }): boolean {
  return (c.port === undefined) !== (c.port_id === undefined);
}

/** The issue {@link hasOnePort} reports. */
export const ONE_PORT: { message: string; path: string[] } = {
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
