/**
 * The Discovery server's connection guard on 127.0.0.1: connections that
 * send nothing, or an unfinished request, are closed after the timeout,
 * keep-alive connections that go quiet too, connections past the limit are
 * refused with a logged reason, and requests pass through unchanged.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startDiscoveryServer } from "../../../agent/cluster/discovery_server.ts";
import { MemoryLogger } from "../../helpers/logger.ts";

/** Resolves with ms until the server closed `conn` (null: still open after `waitMs`). */
async function closedWithin(
  conn: Deno.Conn,
  waitMs: number,
): Promise<number | null> {
  const started = performance.now();
  const buffer = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), waitMs);
  try {
    for (;;) {
      if (await conn.read(buffer) === null) break;
    }
    return performance.now() - started;
  } catch {
    return performance.now() - started >= waitMs
      ? null
      : performance.now() - started;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer or the server.
    }
  }
}

Deno.test("guard: silent, half-open and idle keep-alive connections are closed", async () => {
  const logger = new MemoryLogger();
  const server = startDiscoveryServer({ connectionTimeoutMs: 600, logger });
  try {
    const connect = () =>
      Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const silent = await connect();
    const halfOpen = await connect();
    await halfOpen.write(
      new TextEncoder().encode("POST /clusters/a HTTP/1.1\r\nHost: x\r\n"),
    );
    const keepAlive = await connect();
    await keepAlive.write(
      new TextEncoder().encode("GET /clusters HTTP/1.1\r\nHost: x\r\n\r\n"),
    );
    const times = await Promise.all(
      [silent, halfOpen, keepAlive].map((c) => closedWithin(c, 5_000)),
    );
    for (const ms of times) {
      assert.ok(ms !== null && ms < 2_000, `closed after ${ms} ms`);
    }
    assert.ok(
      logger.lines.some((l) => /closed \d+ idle connections/.test(l)),
      logger.lines.join("\n"),
    );
  } finally {
    await server.stop();
  }
});

Deno.test("guard: connections past the limit are refused with a logged reason", async () => {
  const logger = new MemoryLogger();
  const server = startDiscoveryServer({ maxConnections: 3, logger });
  const held: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      held.push(
        await Deno.connect({ hostname: "127.0.0.1", port: server.port }),
      );
    }
    await new Promise((r) => setTimeout(r, 100));
    const extra = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    const ms = await closedWithin(extra, 3_000);
    assert.ok(ms !== null && ms < 1_000, `closed after ${ms} ms`);
    assert.ok(
      logger.lines.some((l) =>
        l === "WARN refused a connection from 127.0.0.1: 3 connections open"
      ),
      logger.lines.join("\n"),
    );
    for (const conn of held) conn.close();
    held.length = 0;
    await new Promise((r) => setTimeout(r, 200));
    const response = await fetch(`${server.url}/clusters`);
    assert.deepEqual(await response.json(), { clusters: [] });
  } finally {
    for (const conn of held) conn.close();
    await server.stop();
  }
});
