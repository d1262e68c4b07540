/**
 * The `subscribe --hz` meter on a fake clock: rate, bandwidth, jitter,
 * interval range and gaps of a window and of the whole subscription.
 *
 * @module
 */
import assert from "node:assert/strict";
import { formatReport, StreamMeter } from "../../cli/stream_meter.ts";

Deno.test("stream meter: rate, bandwidth, jitter and gaps per window and in total", () => {
  let now = 0;
  const meter = new StreamMeter(100, () => now);
  // 100 entries 10 ms apart, one source step of 30 ms (a gap), 26 bytes each.
  let ts = 0n;
  for (let i = 0; i < 100; i++) {
    now += 10;
    ts += i === 50 ? 30_000_000n : 10_000_000n;
    meter.add(ts, 26);
  }
  const first = meter.window();
  assert.equal(first.entries, 100);
  assert.equal(first.seconds, 1);
  assert.equal(first.rate_hz, 100);
  assert.equal(first.bytes_per_second, 2600);
  assert.equal(first.jitter_ms, 0);
  assert.equal(first.min_interval_ms, 10);
  assert.equal(first.max_interval_ms, 10);
  assert.equal(first.gaps, 1);
  // A second window with uneven arrivals: 5 and 15 ms alternately.
  for (let i = 0; i < 10; i++) {
    now += i % 2 === 0 ? 5 : 15;
    ts += 10_000_000n;
    meter.add(ts, 100);
  }
  const second = meter.window();
  assert.equal(second.entries, 10);
  assert.equal(second.min_interval_ms, 5);
  assert.equal(second.max_interval_ms, 15);
  assert.ok(Math.abs(second.jitter_ms - 5.27) < 0.01, `${second.jitter_ms}`);
  assert.equal(second.gaps, 0);
  const total = meter.total();
  assert.equal(total.entries, 110);
  assert.equal(total.gaps, 1);
  assert.equal(
    formatReport(first, 2n),
    "rate 100 Hz  bw 2.54 KiB/s  jitter 0.00 ms  interval 10.00 ms..10.00 ms  gaps 1  lost 2",
  );
});

Deno.test("stream meter: without a nominal rate a gap is a step over twice the mean", () => {
  let now = 0;
  const meter = new StreamMeter(0, () => now);
  let ts = 0n;
  for (const step of [10n, 10n, 10n, 35n, 10n]) {
    now += 10;
    ts += step * 1_000_000n;
    meter.add(ts, 1);
  }
  assert.equal(meter.total().gaps, 1);
  const idle = meter.window();
  assert.equal(idle.entries, 5);
  now += 1000;
  const empty = meter.window();
  assert.equal(empty.entries, 0);
  assert.equal(empty.rate_hz, 0);
  assert.equal(empty.jitter_ms, 0);
  assert.equal(empty.min_interval_ms, 0);
});
