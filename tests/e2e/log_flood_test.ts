/**
 * End to end: a flood of hostile requests with huge ids against a real
 * `auki-edge run` process grows its log by a bounded amount: remote values
 * are cut naming their size, and repeated warnings from one peer and cause
 * are rate-limited with a suppressed count.
 *
 * @module
 */
import assert from "node:assert/strict";
import { REGISTRIES, STREAM } from "../../agent/protocols/ids.ts";
import { withClient } from "../../cli/client.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import {
  probe,
  SMALL_SIMS,
  streamRequestFrame,
  textFrame,
} from "./_helpers.ts";

const MIB = 1024 * 1024;

Deno.test("a flood of requests with huge ids grows the log by a bounded amount", async () => {
  const agent = await startAgent({ config: SMALL_SIMS });
  try {
    await withClient(async (node) => {
      const before = agent.stderr().length;
      const hugeId = "r".repeat(8 * MIB);
      await probe(node, agent.address, STREAM, streamRequestFrame(hugeId), {
        waitMs: 5_000,
      });
      await agent.waitForStderr(/declined with sensor_not_found/, 10_000);
      const first = agent.stderr().slice(before);
      assert.match(first, /r{200}… \(8388608 bytes\)/);
      // Ten rounds at a time: 30 substreams in flight stay well inside the
      // client's 64 outbound streams per protocol, however slowly the agent
      // ends them under load.
      for (let round = 0; round < 40; round += 10) {
        const requests: Promise<unknown>[] = [];
        for (let i = round; i < round + 10; i++) {
          requests.push(
            probe(
              node,
              agent.address,
              STREAM,
              streamRequestFrame(hugeId.slice(0, MIB + i)),
              {
                waitMs: 2_000,
              },
            ),
            probe(
              node,
              agent.address,
              REGISTRIES,
              textFrame(
                JSON.stringify({
                  kind: "nope",
                  id: "i".repeat(60 * 1024),
                  hash: 7,
                }),
              ),
              { waitMs: 2_000 },
            ),
            probe(
              node,
              agent.address,
              REGISTRIES,
              textFrame("x".repeat(60 * 1024)),
              {
                waitMs: 2_000,
              },
            ),
          );
        }
        await Promise.all(requests);
      }
      await agent.waitForStderr(/registries\/0\.2\.0 from \S+ dropped/, 5_000);
      const grown = agent.stderr().length - before;
      const lines = agent.stderr().slice(before).split("\n");
      console.log(
        `121 hostile requests (${
          (41 * MIB + 80 * 60 * 1024) / MIB | 0
        } MiB) grew the log by ${grown} bytes in ${lines.length} lines`,
      );
      assert.ok(grown < 16 * 1024, `the log grew by ${grown} bytes`);
      assert.ok(lines.every((line) => line.length < 1_000));
      assert.equal(await agent.stop(), 0);
    });
  } finally {
    await agent.kill();
  }
});
