import assert from "node:assert/strict";
import { threeRead } from "../../../core/clocks/three_read.ts";

/** A fake clock returning `readings` in turn and logging each read. */
function fake(name: string, readings: bigint[], log: string[]): () => bigint {
  let i = 0;
  return () => {
    assert.ok(i < readings.length, `${name} read too often`);
    log.push(name);
    return readings[i++];
  };
}

Deno.test("threeRead: reads from, to, from in that order", () => {
  const log: string[] = [];
  threeRead(fake("from", [1n, 2n], log), fake("to", [5n], log));
  assert.deepEqual(log, ["from", "to", "from"]);
});

Deno.test("threeRead: timestamp (m1+m2)/2, offset r - that, uncertainty m2 - m1", () => {
  const log: string[] = [];
  assert.deepEqual(
    threeRead(fake("from", [100n, 110n], log), fake("to", [1000n], log)),
    { timestampNs: 105n, offsetNs: 895n, uncertaintyNs: 10n },
  );
});

Deno.test("threeRead: odd sums truncate; negative offsets; zero-width window", () => {
  const log: string[] = [];
  assert.deepEqual(
    threeRead(fake("from", [100n, 111n], log), fake("to", [50n], log)),
    { timestampNs: 105n, offsetNs: -55n, uncertaintyNs: 11n },
  );
  assert.deepEqual(
    threeRead(fake("from", [7n, 7n], log), fake("to", [7n], log)),
    { timestampNs: 7n, offsetNs: 0n, uncertaintyNs: 0n },
  );
});

Deno.test("threeRead: exact with realistic nanosecond magnitudes", () => {
  const log: string[] = [];
  // Session clock ~ 1 h in; UTC ~ 2023-11-14.
  const m1 = 3_600_000_000_123n;
  const m2 = 3_600_000_004_125n;
  const r = 1_700_000_000_123_456_789n;
  const sample = threeRead(fake("from", [m1, m2], log), fake("to", [r], log));
  assert.equal(sample.timestampNs, 3_600_000_002_124n);
  assert.equal(
    sample.offsetNs,
    1_700_000_000_123_456_789n - 3_600_000_002_124n,
  );
  assert.equal(sample.uncertaintyNs, 4_002n);
  // from + offset at the sample time gives back the to-reading.
  assert.equal(sample.timestampNs + sample.offsetNs, r);
});
