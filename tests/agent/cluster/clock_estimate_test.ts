/**
 * The offset estimator: the minimum-delay sample of the last 16 wins, and
 * half its delay (rounded up) bounds its error.
 *
 * @module
 */
import assert from "node:assert/strict";
import { OffsetEstimator } from "../../../agent/cluster/clock_estimate.ts";

const sample = (offsetNs: bigint, delayNs: bigint, atNs = 0n) => ({
  offsetNs,
  delayNs,
  atNs,
});

Deno.test("clock estimate: nothing before the first sample", () => {
  assert.equal(new OffsetEstimator().estimate(), undefined);
});

Deno.test("clock estimate: the shortest round trip wins, uncertainty half its delay", () => {
  const e = new OffsetEstimator();
  e.add(sample(1_000n, 900n));
  e.add(sample(-250n, 301n));
  e.add(sample(7_000n, 5_000n));
  assert.deepEqual(e.estimate(), { offsetNs: -250n, uncertaintyNs: 151n });
  e.add(sample(3n, 2n));
  assert.deepEqual(e.estimate(), { offsetNs: 3n, uncertaintyNs: 1n });
});

Deno.test("clock estimate: a zero-delay sample claims zero uncertainty", () => {
  const e = new OffsetEstimator();
  e.add(sample(5n, 0n));
  assert.deepEqual(e.estimate(), { offsetNs: 5n, uncertaintyNs: 0n });
});

Deno.test("clock estimate: the first of equal delays is kept", () => {
  const e = new OffsetEstimator();
  e.add(sample(10n, 100n));
  e.add(sample(20n, 100n));
  assert.equal(e.estimate()?.offsetNs, 10n);
});

Deno.test("clock estimate: samples older than the last 16 are forgotten", () => {
  const e = new OffsetEstimator();
  e.add(sample(42n, 1n));
  for (let i = 0; i < 15; i++) e.add(sample(BigInt(i), 1_000n + BigInt(i)));
  assert.equal(e.estimate()?.offsetNs, 42n, "still within the window");
  e.add(sample(99n, 5_000n));
  assert.deepEqual(e.estimate(), { offsetNs: 0n, uncertaintyNs: 500n });
});

Deno.test("clock estimate: large offsets stay exact; reset forgets", () => {
  const e = new OffsetEstimator();
  e.add(sample(-1_733_836_800_000_000_001n, 2_000_001n));
  assert.deepEqual(e.estimate(), {
    offsetNs: -1_733_836_800_000_000_001n,
    uncertaintyNs: 1_000_001n,
  });
  e.reset();
  assert.equal(e.estimate(), undefined);
});
