/**
 * End to end against real `auki-edge discovery` and `auki-edge run`
 * processes: a flood of 1000 creations is capped (429 past the limit) and
 * leaves the server's memory bounded, 200 half-open connections are closed,
 * and an embedded Discovery given the cluster's token refuses anonymous
 * takeovers and deletes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import {
  freePort,
  poll,
  startDiscovery,
  TempDirs,
} from "../../scripts/harness/cluster.ts";
import { SMALL_SIMS } from "./_helpers.ts";

const MANAGER = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";

/** Resident memory of `pid`, MiB. */
async function rssMib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** A creation body near the row limit: 90 addresses of about 150 bytes. */
function bigBody(): string {
  return JSON.stringify({
    manager_peer_id: MANAGER,
    manager_multiaddrs: Array.from(
      { length: 90 },
      (_, i) =>
        `/ip4/10.1.${i >> 8}.${
          i & 255
        }/tcp/4002/p2p/${MANAGER}/p2p-circuit/p2p/${MANAGER}`,
    ),
  });
}

Deno.test("Discovery: a flood of creations is capped and memory stays bounded", async () => {
  const dirs = new TempDirs();
  // Rows outlive the floods: nothing is swept while they run.
  const discovery = await startDiscovery(dirs, {
    ttlMs: 120_000,
    args: ["--max-clusters", "256"],
  });
  try {
    const before = await rssMib(discovery.pid);
    const body = bigBody();
    const flood = async () => {
      const statuses = new Map<number, number>();
      for (let batch = 0; batch < 1000; batch += 50) {
        const replies = await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const response = await fetch(
              `${discovery.url}/clusters/flood-${batch + i}`,
              { method: "POST", body },
            );
            await response.body?.cancel();
            return response.status;
          }),
        );
        for (const status of replies) {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }
      return Object.fromEntries(statuses);
    };
    const first = await flood();
    const listed = (await (await fetch(`${discovery.url}/clusters`)).text())
      .length;
    const afterFirst = await rssMib(discovery.pid);
    for (let i = 0; i < 1000; i++) {
      const response = await fetch(`${discovery.url}/clusters/flood-${i}`, {
        method: "DELETE",
      });
      await response.body?.cancel();
    }
    const second = await flood();
    const afterSecond = await rssMib(discovery.pid);
    console.log(
      `1000 creations twice: ${JSON.stringify(first)}, ${
        JSON.stringify(second)
      }; GET /clusters ${(listed / 1024 / 1024).toFixed(1)} MiB; RSS ${
        before.toFixed(0)
      } -> ${afterFirst.toFixed(0)} -> ${afterSecond.toFixed(0)} MiB`,
    );
    for (const statuses of [first, second]) {
      assert.deepEqual(statuses, { 201: 256, 429: 744 });
    }
    assert.ok(listed < 4 * 1024 * 1024, `GET /clusters is ${listed} bytes`);
    // V8 collects lazily: the heap grows to a plateau (about +190 MiB over
    // ten floods) and then falls back; rows themselves are capped above.
    assert.ok(
      afterSecond - before < 200,
      `two floods grew RSS by ${afterSecond - before} MiB`,
    );
    await poll(
      "the 429 line",
      () =>
        /POST \/clusters\/\S+ 429: this Discovery holds its limit of 256 clusters/
          .test(
            discovery.stderr(),
          ) ||
        undefined,
    );
    assert.ok(
      discovery.stderr().split("\n").filter((l) => l.includes(" 429")).length <
        5,
      "429 lines are rate-limited",
    );
  } finally {
    await discovery.stop();
    await dirs.remove();
  }
});

Deno.test("Discovery: 200 half-open connections are closed", async () => {
  const dirs = new TempDirs();
  const discovery = await startDiscovery(dirs);
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: discovery.port,
      });
      await conn.write(
        new TextEncoder().encode("POST /clusters/x HTTP/1.1\r\n"),
      );
      conns.push(conn);
    }
    const started = performance.now();
    const closed = await Promise.all(conns.map(async (conn) => {
      const buffer = new Uint8Array(1024);
      try {
        while (await conn.read(buffer) !== null) { /* drain */ }
      } catch {
        // Reset by the server.
      }
      return performance.now() - started;
    }));
    const last = Math.max(...closed);
    console.log(
      `200 half-open connections closed within ${(last / 1000).toFixed(1)} s`,
    );
    assert.ok(last < 15_000, `the last closed after ${last} ms`);
    const response = await fetch(`${discovery.url}/clusters`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Closed by the server.
      }
    }
    await discovery.stop();
    await dirs.remove();
  }
});

Deno.test("embedded Discovery with a token refuses anonymous takeovers and deletes", async () => {
  const port = freePort();
  const agent = await startAgent({
    config: SMALL_SIMS,
    args: [
      "--embedded-discovery",
      `127.0.0.1:${port}`,
      "--cluster",
      "guarded",
      "--discovery-token",
      "s3cret",
    ],
  });
  try {
    await agent.waitForStderr(
      /embedded Discovery on 127\.0\.0\.1:\d+ \(every write needs the cluster's token\)/,
    );
    const url = `http://127.0.0.1:${port}/clusters/guarded`;
    await poll("the cluster row", async () => {
      const response = await fetch(`http://127.0.0.1:${port}/clusters`);
      const body = await response.json() as { clusters: unknown[] };
      return body.clusters.length === 1 || undefined;
    });
    const takeover = await fetch(`${url}/manager`, {
      method: "POST",
      body: JSON.stringify({
        manager_peer_id: MANAGER,
        manager_multiaddrs: [],
      }),
    });
    await takeover.body?.cancel();
    assert.equal(takeover.status, 401);
    const remove = await fetch(url, { method: "DELETE" });
    await remove.body?.cancel();
    assert.equal(remove.status, 401);
    const rows = await (await fetch(`http://127.0.0.1:${port}/clusters`))
      .json() as {
        clusters: { manager_peer_id: string }[];
      };
    assert.equal(rows.clusters[0].manager_peer_id, agent.peerId);
  } finally {
    await agent.stop();
  }
});
