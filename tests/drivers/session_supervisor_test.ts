/**
 * The session supervisor with scripted sessions on real timers: the
 * backoff doubles to its cap and starts over after a session that
 * produced, a stuck call holds the next session back until it returns,
 * and stopping ends the backoff at once without reporting the stopped
 * session.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type SessionEnd,
  SessionSupervisor,
} from "../../drivers/session_supervisor.ts";
import { until } from "../helpers/wait.ts";

/** A supervisor running `script` (one end per session, the last repeated), recording what it did. */
function scripted(
  script: SessionEnd[],
  retry = { retryMinMs: 20, retryMaxMs: 80 },
) {
  const opened: number[] = [];
  const ended: SessionEnd[] = [];
  const warnings: string[] = [];
  const supervisor = new SessionSupervisor({
    ...retry,
    session: () => {
      opened.push(performance.now());
      return Promise.resolve(
        script[Math.min(opened.length, script.length) - 1],
      );
    },
    ended: (end) => ended.push(end),
    warn: (message) => warnings.push(message),
  });
  return { supervisor, opened, ended, warnings };
}

const FAILED: SessionEnd = {
  reason: "source_ended",
  detail: "gone",
  produced: false,
};
const PRODUCED: SessionEnd = {
  reason: "producer_error",
  detail: "stalled",
  produced: true,
};

Deno.test("session supervisor: the backoff doubles to its cap and starts over after a producing session", async () => {
  const run = scripted([FAILED, FAILED, FAILED, FAILED, PRODUCED, FAILED]);
  run.supervisor.start();
  await until(() => run.opened.length >= 7, "seven sessions");
  await run.supervisor.stop();
  assert.deepEqual(
    run.warnings.slice(0, 6),
    [
      "gone; reopening in 20 ms",
      "gone; reopening in 40 ms",
      "gone; reopening in 80 ms",
      "gone; reopening in 80 ms",
      "stalled; reopening in 20 ms",
      "gone; reopening in 40 ms",
    ],
  );
  assert.deepEqual(run.ended.slice(0, 5), [
    FAILED,
    FAILED,
    FAILED,
    FAILED,
    PRODUCED,
  ]);
  const gaps = run.opened.slice(1).map((t, i) => t - run.opened[i]);
  [20, 40, 80, 80, 20, 40].forEach((ms, i) =>
    assert.ok(gaps[i] >= ms - 2, `gap ${i}: ${gaps[i]} ms, backoff ${ms} ms`)
  );
});

Deno.test("session supervisor: a stuck call holds the next session back until it returns", async () => {
  const { promise: returned, resolve } = Promise.withResolvers<void>();
  const run = scripted([{ ...FAILED, stuck: returned }, FAILED]);
  run.supervisor.start();
  await until(() => run.warnings.length >= 1, "the stuck warning");
  assert.deepEqual(run.warnings, ["gone; reopening once the call returns"]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(run.opened.length, 1, "no session while the call is stuck");
  resolve();
  await until(() => run.opened.length >= 2, "the next session");
  await run.supervisor.stop();
  assert.equal(run.warnings[1], "gone; reopening in 20 ms");
});

Deno.test("session supervisor: stop ends the backoff at once and the stopped session is not reported", async () => {
  let sessions = 0;
  const ended: SessionEnd[] = [];
  const supervisor = new SessionSupervisor({
    retryMinMs: 60_000,
    retryMaxMs: 60_000,
    session: (signal) => {
      sessions++;
      if (sessions === 1) return Promise.resolve(FAILED);
      return new Promise((resolve) =>
        signal.addEventListener("abort", () => resolve(PRODUCED))
      );
    },
    ended: (end) => ended.push(end),
  });
  supervisor.start();
  await until(() => ended.length === 1, "the first session's end");
  assert.ok(supervisor.running);
  const started = performance.now();
  await supervisor.stop();
  assert.ok(performance.now() - started < 1_000, "the backoff was cut short");
  assert.equal(sessions, 1);
  assert.ok(!supervisor.running);

  // Restarted, a session running when stopped ends without a report.
  supervisor.start();
  await until(() => sessions === 2, "the second session");
  await supervisor.stop();
  assert.deepEqual(ended, [FAILED]);
});
