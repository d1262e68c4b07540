import assert from "node:assert/strict";
import { monotonicNs, realtimeNs } from "../../../core/clocks/system_time.ts";
import { delay } from "../../helpers/wait.ts";

Deno.test("realtimeNs: a bigint within 50 ms of Date.now()", () => {
  for (let i = 0; i < 5; i++) {
    const before = BigInt(Date.now()) * 1_000_000n;
    const now = realtimeNs();
    const after = BigInt(Date.now()) * 1_000_000n;
    assert.equal(typeof now, "bigint");
    // Date.now() truncates to the ms: allow 1 ms of it plus 50 ms of slack.
    assert.ok(now >= before - 50_000_000n, `${now} < ${before}`);
    assert.ok(now <= after + 51_000_000n, `${now} > ${after}`);
    // Past 2^53: would lose precision as a number.
    assert.ok(now > 2n ** 53n);
  }
});

Deno.test("monotonicNs: bigint, never decreasing, tracks elapsed time", async () => {
  let last = monotonicNs();
  assert.equal(typeof last, "bigint");
  for (let i = 0; i < 10_000; i++) {
    const now = monotonicNs();
    assert.ok(now >= last, `went back from ${last} to ${now}`);
    last = now;
  }
  const m0 = monotonicNs();
  const p0 = performance.now();
  await delay(30);
  const elapsedNs = Number(monotonicNs() - m0);
  const elapsedMs = performance.now() - p0;
  assert.ok(elapsedNs >= 29_000_000, `${elapsedNs} ns`);
  assert.ok(
    Math.abs(elapsedNs / 1e6 - elapsedMs) < 10,
    `monotonic ${elapsedNs / 1e6} ms vs performance ${elapsedMs} ms`,
  );
});

Deno.test("system clocks have nanosecond resolution, not milliseconds", () => {
  for (const clock of [realtimeNs, monotonicNs]) {
    const readings = Array.from({ length: 50 }, () => clock());
    assert.ok(
      readings.some((r) => r % 1_000_000n !== 0n),
      `${clock.name}: every reading is a whole millisecond`,
    );
    // Successive readings differ by less than a millisecond somewhere.
    assert.ok(
      readings.some((r, i) => i > 0 && r - readings[i - 1] < 1_000_000n),
    );
  }
});
