import assert from "node:assert/strict";
import { parseJson } from "../../agent/codec/json.ts";
import { requestInfo } from "../../agent/protocols/info.ts";
import { startAgent } from "../helpers/agent_process.ts";
import { delay } from "../e2e/_helpers.ts";
import { calibrate, client } from "./_agent.ts";

Deno.test("calibrate clock's session->UTC fit holds within the uncertainty it claims", async () => {
  const agent = await startAgent({ args: ["--sim", "none"] });
  try {
    await delay(4_500);
    const run = await calibrate(["clock", agent.address.toString(), "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const report = parseJson(run.stdout) as {
      relations: {
        relation: string;
        samples: number;
        offsetNs: bigint;
        atNs: bigint;
        driftPpm: number;
        driftUncertaintyPpm: number;
        offsetUncertaintyNs: number;
      }[];
      system_clock: { unsynchronized: boolean };
      warnings: string[];
    };
    const utc = report.relations.find((r) => r.relation === "utc")!;
    assert.ok(utc.samples >= 4, `${utc.samples} samples`);
    assert.ok(
      Math.abs(utc.driftPpm) <= utc.driftUncertaintyPpm,
      `drift ${utc.driftPpm} ± ${utc.driftUncertaintyPpm} ppm`,
    );
    assert.equal(
      report.warnings.length > 0,
      report.system_clock.unsynchronized,
    );
    // An independent measurement: the agent's session clock against this process's UTC.
    const { sessionNs, wallNs, rttNs } = await client(async (node) => {
      const before = Date.now();
      const info = await requestInfo(node, agent.address);
      const after = Date.now();
      return {
        sessionNs: BigInt(info.session_now_ns),
        wallNs: BigInt(before + after) * 500_000n,
        rttNs: (after - before + 1) * 1e6,
      };
    });
    const predicted = BigInt(utc.offsetNs) +
      BigInt(
        Math.round(Number(sessionNs - BigInt(utc.atNs)) * utc.driftPpm / 1e6),
      );
    const measured = wallNs - sessionNs;
    const error = Math.abs(Number(predicted - measured));
    assert.ok(
      error <= utc.offsetUncertaintyNs + rttNs / 2 + 1e6,
      `offset off by ${error} ns, claimed ${utc.offsetUncertaintyNs} ns (rtt ${rttNs} ns)`,
    );
  } finally {
    await agent.stop();
  }
});
