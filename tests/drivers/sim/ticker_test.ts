import assert from "node:assert/strict";
import { Ticker } from "../../../drivers/sim/ticker.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("Ticker ticks at its rate with consecutive indices from 0", async () => {
  const indices: number[] = [];
  const ticker = new Ticker(200, (i) => indices.push(i));
  ticker.start();
  await wait(300);
  ticker.stop();
  assert.ok(
    indices.length >= 50 && indices.length <= 70,
    `${indices.length} ticks`,
  );
  assert.deepEqual(indices, indices.map((_, i) => i));
});

Deno.test("Ticker stopped from inside a tick never ticks again", async () => {
  let ticks = 0;
  const ticker = new Ticker(500, () => {
    if (++ticks === 3) ticker.stop();
  });
  ticker.start();
  await wait(100);
  assert.equal(ticks, 3);
});

Deno.test("Ticker refuses a rate that is not positive", () => {
  assert.throws(() => new Ticker(0, () => {}), /rate must be > 0 Hz/);
});
