import assert from "node:assert/strict";
import { parseJson } from "../../../../core/codec/json.ts";
import { requestInfo } from "../../../../agent/protocols/info.ts";
import { disciplineWarnings } from "../../../../cli/commands/calibrate/clock_task.ts";
import { withDevice } from "../../../../cli/client.ts";
import type { KernelClock } from "../../../../cli/commands/calibrate/system_clock.ts";
import { startAgent } from "../../../../scripts/harness/agent_process.ts";
import { delay } from "../../../helpers/wait.ts";
import { calibrate, client } from "./_agent.ts";

Deno.test("calibrate clock's session->UTC fit holds within the uncertainty it claims", async () => {
  const agent = await startAgent({ args: ["--sim", "none"] });
  try {
    await delay(4_500);
    const run = await calibrate([
      "clock",
      agent.address.toString(),
      "--json",
      "--dry-run",
    ]);
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
    for (const warning of report.warnings) {
      assert.ok(run.stderr.includes(`calibrate clock: warning: ${warning}`));
    }
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

Deno.test("calibrate clock fits a member's session->domain clock within the uncertainty it claims", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const discovery = `http://127.0.0.1:${port}`;
  const manager = await startAgent({
    args: [
      "--sim",
      "none",
      "--embedded-discovery",
      String(port),
      "--cluster",
      "clocks",
    ],
  });
  try {
    const member = await startAgent({
      args: ["--sim", "none", "--discovery", discovery, "--cluster", "clocks"],
    });
    try {
      await delay(4_500);
      const run = await calibrate([
        "clock",
        member.address.toString(),
        "--discovery",
        discovery,
        "--cluster",
        "clocks",
        "--json",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const { relations } = parseJson(run.stdout) as {
        relations: {
          relation: string;
          resource_id: string;
          samples: number;
          offsetNs: bigint;
          atNs: bigint;
          driftPpm: number;
          driftUncertaintyPpm: number;
          offsetUncertaintyNs: number;
        }[];
      };
      const domain = relations.find((r) => r.relation === "domain")!;
      assert.match(domain.resource_id, /->clocks\/domain-clock$/);
      assert.ok(domain.samples >= 4, `${domain.samples} samples`);
      // Both session clocks count CLOCK_MONOTONIC: no drift between them.
      assert.ok(
        Math.abs(domain.driftPpm) <= domain.driftUncertaintyPpm + 1,
        `drift ${domain.driftPpm} ± ${domain.driftUncertaintyPpm} ppm`,
      );
      // The domain clock is the Manager's session clock: read both, as a member.
      const cluster = { discovery, name: "clocks" };
      const { managerNs, memberNs, spreadNs } = await withDevice(
        member.address,
        cluster,
        async (device) => {
          const session = async (agent: typeof member) =>
            BigInt(
              (await device.request(() =>
                requestInfo(device.node, agent.address)
              )).session_now_ns,
            );
          await session(manager);
          await session(member);
          const before = await session(manager);
          const memberNs = await session(member);
          const after = await session(manager);
          return {
            managerNs: (before + after) / 2n,
            memberNs,
            spreadNs: Number(after - before),
          };
        },
      );
      const predicted = BigInt(domain.offsetNs) + BigInt(
        Math.round(
          Number(memberNs - BigInt(domain.atNs)) * domain.driftPpm / 1e6,
        ),
      );
      const error = Math.abs(Number(predicted - (managerNs - memberNs)));
      assert.ok(
        error <= domain.offsetUncertaintyNs + spreadNs / 2 + 1e6,
        `domain offset off by ${error} ns, claimed ${domain.offsetUncertaintyNs} ns (reads ${spreadNs} ns apart)`,
      );
    } finally {
      await member.stop();
    }
  } finally {
    await manager.stop();
  }
});

Deno.test("calibrate clock warns when the system clock is not disciplined", () => {
  const synced: KernelClock = {
    state: 0,
    status: 0x2001,
    unsynchronized: false,
    maxErrorUs: 12_000,
    estErrorUs: 40,
    frequencyPpm: -11.5,
  };
  assert.deepEqual(disciplineWarnings(synced, true), []);
  assert.deepEqual(disciplineWarnings(synced, undefined), []);
  assert.deepEqual(disciplineWarnings(synced, false), [
    "timedatectl reports NTPSynchronized=no",
  ]);
  const [unsync] = disciplineWarnings(
    { ...synced, state: 5, status: 0x40, unsynchronized: true },
    undefined,
  );
  assert.match(unsync, /not synchronized \(STA_UNSYNC\).*run NTP, chrony/);
  const [drifting] = disciplineWarnings(
    { ...synced, maxErrorUs: 16_000_000 },
    undefined,
  );
  assert.match(
    drifting,
    /maximum error is 16\.0 s: it is not being disciplined/,
  );
});
