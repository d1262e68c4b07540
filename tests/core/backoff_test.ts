/**
 * The shared backoff: delays double from the minimum to the maximum, a
 * success starts over, and the retry loop gives up, stops or succeeds.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Backoff, retryWithBackoff } from "../../core/backoff.ts";

Deno.test("Backoff: doubles from the minimum to the maximum, resets on success", () => {
  const backoff = new Backoff(1_000, 5_000);
  assert.equal(backoff.due(0), true);
  assert.deepEqual(
    [1, 2, 3, 4].map(() => backoff.fail(10_000)),
    [1_000, 2_000, 4_000, 5_000],
  );
  assert.equal(backoff.retryAt, 15_000);
  assert.equal(backoff.due(14_999), false);
  assert.equal(backoff.due(15_000), true);
  backoff.reset();
  assert.equal(backoff.due(0), true);
  assert.equal(backoff.fail(0), 1_000);
});

Deno.test("retryWithBackoff: retries until success, reporting each delay", async () => {
  const delays: number[] = [];
  let attempts = 0;
  const result = await retryWithBackoff(
    () => {
      attempts++;
      return attempts < 3
        ? Promise.reject(new Error(`attempt ${attempts}`))
        : Promise.resolve("done");
    },
    new Backoff(1, 2),
    (_error, delayMs) => {
      delays.push(delayMs);
      return true;
    },
  );
  assert.equal(result, "done");
  assert.deepEqual(delays, [1, 2]);
});

Deno.test("retryWithBackoff: rethrows what onFailure gives up on; resolves undefined once stopped", async () => {
  await assert.rejects(
    retryWithBackoff(
      () => Promise.reject(new Error("fatal")),
      new Backoff(1, 1),
      () => false,
    ),
    /fatal/,
  );
  let stopped = false;
  const result = await retryWithBackoff(
    () => {
      stopped = true;
      return Promise.reject(new Error("transient"));
    },
    new Backoff(1, 1),
    () => true,
    () => stopped,
  );
  assert.equal(result, undefined);
});
