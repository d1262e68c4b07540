/**
 * The soak's trend: a least-squares slope per minute after the warm-up.
 *
 * @module
 */
import assert from "node:assert/strict";
import { afterWarmUp, slopePerMinute } from "../../../scripts/soak/trend.ts";

Deno.test("slopePerMinute: a line gives its slope, noise around a level about 0", () => {
  const line = [0, 1, 2, 3].map((m) => ({ minutes: m, value: 100 + 2 * m }));
  assert.equal(slopePerMinute(line), 2);
  const flat = [0, 1, 2, 3].map((m) => ({
    minutes: m,
    value: 100 + (m % 2 === 0 ? 1 : -1),
  }));
  assert.ok(Math.abs(slopePerMinute(flat)) < 1);
  assert.equal(slopePerMinute(line.slice(0, 1)), 0);
});

Deno.test("afterWarmUp: samples before the warm-up are left out", () => {
  const samples = [0, 0.5, 1, 1.5].map((m) => ({ minutes: m, value: m }));
  assert.deepEqual(afterWarmUp(samples, 1).map((s) => s.minutes), [1, 1.5]);
});
