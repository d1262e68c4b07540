/**
 * systemd notifications: datagrams received on a real AF_UNIX socket bound
 * in the test (by path and abstract name), the watchdog interval rules, and
 * a real `auki-edge run` process started with `NOTIFY_SOCKET` and
 * `WATCHDOG_USEC`: READY=1 after its ready file (after STATUS=joining in a
 * cluster), repeating WATCHDOG=1, and STOPPING=1 on SIGTERM.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  sdNotify,
  startServiceNotifier,
  unixAddress,
  watchdogIntervalMs,
} from "../../cli/sd_notify.ts";
import { createLogger, silentLogger } from "../../core/logging.ts";
import { bindNotifySocket } from "../helpers/notify_socket.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";

/** A unique abstract socket name. */
function abstractName(): string {
  return `@auki-edge-test-${crypto.randomUUID()}`;
}

Deno.test("unixAddress lays out paths and abstract names", () => {
  const [path, pathLength] = unixAddress("/run/notify");
  assert.equal(pathLength, 2 + "/run/notify".length);
  assert.equal(new DataView(path.buffer).getUint16(0, true), 1);
  assert.equal(new TextDecoder().decode(path.subarray(2, 13)), "/run/notify");
  assert.equal(path[13], 0);
  const [abstract, abstractLength] = unixAddress("@sd");
  assert.equal(abstractLength, 2 + 1 + 2);
  assert.deepEqual([...abstract.subarray(2, 5)], [0, 115, 100]);
  assert.throws(() => unixAddress("run/notify"), /absolute path/);
  assert.throws(() => unixAddress(`/${"x".repeat(120)}`), /longer/);
});

Deno.test("sdNotify sends one datagram to a path and an abstract socket", async () => {
  const dir = await Deno.makeTempDir();
  for (const name of [join(dir, "notify"), abstractName()]) {
    const socket = bindNotifySocket(name);
    try {
      sdNotify(name, "READY=1\nSTATUS=up");
      sdNotify(name, "WATCHDOG=1");
      assert.equal(await socket.next(), "READY=1\nSTATUS=up");
      assert.equal(await socket.next(), "WATCHDOG=1");
    } finally {
      socket.close();
    }
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sdNotify to a socket nobody listens on fails naming it", () => {
  const name = abstractName();
  assert.throws(
    () => sdNotify(name, "READY=1"),
    new RegExp(`sendto ${name} failed: errno 111`),
  );
});

Deno.test("the watchdog interval is half of WATCHDOG_USEC, for our pid only", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(
    watchdogIntervalMs(env({ WATCHDOG_USEC: "30000000" }), 7),
    15_000,
  );
  assert.equal(
    watchdogIntervalMs(env({ WATCHDOG_USEC: "200000", WATCHDOG_PID: "7" }), 7),
    100,
  );
  assert.equal(
    watchdogIntervalMs(env({ WATCHDOG_USEC: "200000", WATCHDOG_PID: "8" }), 7),
    undefined,
  );
  assert.equal(watchdogIntervalMs(env({}), 7), undefined);
  assert.equal(watchdogIntervalMs(env({ WATCHDOG_USEC: "0" }), 7), undefined);
  assert.equal(
    watchdogIntervalMs(env({ WATCHDOG_USEC: "soon" }), 7),
    undefined,
  );
});

Deno.test("startServiceNotifier pings the watchdog until closed", async () => {
  const socket = bindNotifySocket(abstractName());
  const vars: Record<string, string> = {
    NOTIFY_SOCKET: socket.name,
    WATCHDOG_USEC: "100000",
  };
  const service = startServiceNotifier(silentLogger, (name) => vars[name]);
  try {
    service.status("joining");
    assert.equal(await socket.next(), "STATUS=joining");
    service.ready("serving");
    assert.equal(await socket.next(), "READY=1\nSTATUS=serving");
    for (let i = 0; i < 3; i++) assert.equal(await socket.next(), "WATCHDOG=1");
    service.stopping("bye");
    assert.equal(await socket.next(), "STOPPING=1\nSTATUS=bye");
    service.close();
    await assert.rejects(socket.next(300), /no datagram/);
  } finally {
    service.close();
    socket.close();
  }
});

Deno.test("startServiceNotifier without NOTIFY_SOCKET, and a failing socket warns once", async () => {
  const socket = bindNotifySocket(abstractName());
  try {
    startServiceNotifier(
      silentLogger,
      (name) => name === "WATCHDOG_USEC" ? "2000" : undefined,
    ).ready("x");
    await assert.rejects(socket.next(200), /no datagram/);
  } finally {
    socket.close();
  }
  const lines: string[] = [];
  const logger = createLogger({ sink: (line) => lines.push(line) });
  const service = startServiceNotifier(
    logger,
    (name) => name === "NOTIFY_SOCKET" ? abstractName() : undefined,
  );
  service.ready("x");
  service.stopping("y");
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /WARN .*systemd notification: sendto @auki-edge-test-.* failed/,
  );
});

Deno.test("auki-edge run notifies READY after its ready file, pings the watchdog, STOPPING on SIGTERM", async () => {
  const socket = bindNotifySocket(abstractName());
  const storage = await Deno.makeTempDir({ prefix: "auki-edge-notify-" });
  const readyFiles = async () => {
    const names = [];
    for await (const entry of Deno.readDir(storage)) {
      if (/^ready-.*\.json$/.test(entry.name)) names.push(entry.name);
    }
    return names;
  };
  try {
    const agentStarting = startAgent({
      storage,
      args: ["--sim", "joints"],
      env: { NOTIFY_SOCKET: socket.name, WATCHDOG_USEC: "200000" },
    });
    let message = await socket.next(30_000);
    while (message === "WATCHDOG=1") message = await socket.next(30_000);
    assert.equal((await readyFiles()).length, 1, "ready file before READY=1");
    assert.match(message, /^READY=1\nSTATUS=serving as 12D3KooW\w+$/);
    const agent = await agentStarting;
    try {
      assert.ok(message.endsWith(agent.peerId));
      const started = Date.now();
      for (let i = 0; i < 4; i++) {
        assert.equal(await socket.next(2_000), "WATCHDOG=1");
      }
      // Four pings every 100 ms: neither a burst nor a stall.
      const elapsed = Date.now() - started;
      assert.ok(elapsed > 200 && elapsed < 3_000, `${elapsed} ms`);
    } finally {
      const stopping = (async () => {
        for (;;) {
          const next = await socket.next(10_000);
          if (next !== "WATCHDOG=1") return next;
        }
      })();
      assert.equal(await agent.stop(), 0);
      assert.equal(await stopping, "STOPPING=1\nSTATUS=shutting down");
    }
  } finally {
    socket.close();
    await Deno.remove(storage, { recursive: true });
  }
});

Deno.test("auki-edge run in a cluster reports joining, then READY once joined", async () => {
  const socket = bindNotifySocket(abstractName());
  try {
    const agent = await startAgent({
      args: [
        "--sim",
        "joints",
        "--embedded-discovery",
        "127.0.0.1:0",
        "--cluster",
        "notify",
      ],
      env: { NOTIFY_SOCKET: socket.name },
    });
    try {
      assert.equal(await socket.next(), "STATUS=joining notify");
      assert.equal(
        await socket.next(),
        `READY=1\nSTATUS=serving as ${agent.peerId}`,
      );
    } finally {
      assert.equal(await agent.stop(), 0);
    }
    assert.equal(await socket.next(), "STOPPING=1\nSTATUS=shutting down");
  } finally {
    socket.close();
  }
});
