/**
 * The poller: it keeps a 2 ms period although Deno's timers fire no sooner
 * than about 2 ms, never sends before a request's slot (to the
 * millisecond), expires unanswered requests, and sends nothing once
 * stopped.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Poller } from "../../../drivers/serial/poller.ts";

/** Runs a poller for `ms`; `answer(done)` answers each request by calling `done`. */
async function run(
  periodMs: number,
  timeoutMs: number,
  ms: number,
  answer: (done: () => void) => void,
) {
  const sends: number[] = [];
  let expired = 0;
  let twice = false;
  let outstanding = false;
  const poller: Poller = new Poller({
    periodMs,
    timeoutMs,
    send: () => {
      if (outstanding) twice = true;
      outstanding = true;
      sends.push(performance.now());
      answer(() => {
        outstanding = false;
        poller.answered();
      });
    },
    expire: () => {
      outstanding = false;
      expired++;
    },
  });
  const started = performance.now();
  poller.start();
  await new Promise((resolve) => setTimeout(resolve, ms));
  poller.stop();
  return { sends, expired, twice, elapsedMs: performance.now() - started };
}

Deno.test("poller: 500 Hz answered at once holds its rate", async () => {
  // Answered as from the port: on a later turn of the event loop.
  const result = await run(2, 12, 1_000, (done) => {
    void Promise.resolve().then(done);
  });
  const due = Math.floor(result.elapsedMs / 2) + 1;
  // A stall of the whole process longer than the catch-up window (10 ms:
  // another process had the CPU) restarts the schedule by design; the
  // slots it swallowed are not the poller's to keep.
  const stalled = result.sends.slice(1).reduce((slots, at, k) => {
    const gap = at - result.sends[k];
    return gap > 10 ? slots + Math.floor(gap / 2) : slots;
  }, 0);
  assert.ok(
    result.sends.length >= 0.97 * (due - stalled) &&
      result.sends.length <= due,
    `${result.sends.length} requests in ${
      result.elapsedMs.toFixed(0)
    } ms at 500 Hz (${stalled} slots lost to stalls over 10 ms)`,
  );
  assert.equal(result.expired, 0);
  assert.ok(!result.twice, "never two requests outstanding");
});

Deno.test("poller: an early answer waits for its slot", async () => {
  const result = await run(20, 50, 500, (done) => done());
  const start = result.sends[0];
  result.sends.forEach((at, k) => {
    // Timers take whole milliseconds: at most 1 ms early.
    assert.ok(at - start >= 20 * k - 1, `request ${k} at ${at - start} ms`);
  });
  assert.ok(
    result.sends.length >= 24 && result.sends.length <= 26,
    `${result.sends.length} requests in 500 ms at 50 Hz`,
  );
});

Deno.test("poller: an unanswered request expires, then the next goes out, one at a time", async () => {
  const result = await run(10, 30, 200, () => {});
  assert.ok(
    result.expired >= 5 && result.expired <= 7,
    `${result.expired} expired`,
  );
  assert.equal(result.sends.length, result.expired + 1);
  assert.ok(!result.twice, "never two requests outstanding");
  for (let k = 1; k < result.sends.length; k++) {
    const gap = result.sends[k] - result.sends[k - 1];
    assert.ok(gap >= 29.5, `gap ${gap} ms after an expired request`);
  }
});

Deno.test("poller: a late slot queued before stop sends nothing, also after a restart", async () => {
  let sends = 0;
  const poller = new Poller({
    periodMs: 1,
    timeoutMs: 50,
    send: () => sends++,
    expire: () => {},
  });
  poller.start();
  const until = performance.now() + 2;
  while (performance.now() < until) {
    // the next slot passes
  }
  poller.answered();
  poller.stop();
  poller.start();
  await new Promise((resolve) => setTimeout(resolve, 0));
  poller.stop();
  assert.equal(sends, 2, "the first request and the restart's, no other");
});
