/**
 * Configuration fields shared by the simulated drivers.
 *
 * @module
 */
import { z } from "zod";

/** A sample rate in Hz in (0, 1000]; registry `frame_rate_hz` fields carry it rounded to whole Hz. */
export const RateHz: z.ZodNumber = z.number()
  .gt(0, "must be greater than 0 Hz")
  .max(1000, "must be at most 1000 Hz");

/** A seed for the simulation's pseudo-random noise: any integer. */
export const Seed: z.ZodNumber = z.number().int("must be an integer");
