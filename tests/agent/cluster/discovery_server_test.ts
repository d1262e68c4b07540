/**
 * The Discovery server on 127.0.0.1 with the real client: the `/clusters`
 * lifecycle, the liveness sweep, name and body validation, bigint timestamps,
 * the bearer token and request logging.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  DiscoveryClient,
  DiscoveryRowMissing,
  DiscoveryStatusError,
  DiscoveryUnreachableError,
} from "../../../agent/cluster/discovery_client.ts";
import {
  type DiscoveryServer,
  type DiscoveryServerOptions,
  MAX_BODY_BYTES,
  startDiscoveryServer,
} from "../../../agent/cluster/discovery_server.ts";
import { realtimeNs } from "../../../core/clocks/system_time.ts";
import { parseJson } from "../../../core/codec/json.ts";
import { createLogger } from "../../../core/logging.ts";
import { delay } from "../../helpers/wait.ts";

const MANAGER = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
const SUCCESSOR = "12D3KooWH8R2rfQYjYkpFEW7ao1J4QPDKLcoA6ofnDVAcfrYS94f";
const RELAY = "12D3KooWESKUn3Fh3xTMq1KzoxbQQ6PypHodP1JAb4p7qkxJxJ7n";
const NATIVE = "/ip4/192.168.9.10/tcp/4001";
const RELAY_BASE = `/ip4/192.168.9.20/tcp/4002/ws/p2p/${RELAY}`;

async function withServer(
  options: DiscoveryServerOptions,
  work: (server: DiscoveryServer, client: DiscoveryClient) => Promise<void>,
): Promise<void> {
  const server = startDiscoveryServer({ hostname: "127.0.0.1", ...options });
  try {
    await work(server, new DiscoveryClient(server.url));
  } finally {
    await server.stop();
  }
}

/** A raw request; returns the status and the parsed JSON body (or null). */
async function raw(
  url: string,
  method: string,
  body?: BodyInit,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(url, { method, body, headers });
  const text = await response.text();
  return {
    status: response.status,
    json: text === "" ? null : parseJson(text),
    headers: response.headers,
  };
}

const CREATE_BODY = JSON.stringify({
  manager_peer_id: MANAGER,
  manager_multiaddrs: [NATIVE],
});

Deno.test("create: 201 with the entry stamped now, then 409 for the same name", async () => {
  await withServer({}, async (server, client) => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
    const before = realtimeNs();
    const created = await client.createCluster("alpha", MANAGER, [NATIVE]);
    const after = realtimeNs();
    assert.equal(created.outcome, "created");
    if (created.outcome !== "created") return;
    const { entry } = created;
    assert.equal(entry.name, "alpha");
    assert.equal(entry.manager_peer_id, MANAGER);
    assert.deepEqual(entry.manager_multiaddrs, [NATIVE]);
    assert.deepEqual(entry.relay_multiaddrs, []);
    assert.equal(entry.peer_count, 1);
    assert.equal(typeof entry.created_ns, "bigint");
    assert.ok(entry.created_ns >= before && entry.created_ns <= after);
    assert.equal(entry.last_liveness_check_ns, entry.created_ns);
    assert.deepEqual(
      await client.createCluster("alpha", SUCCESSOR, [NATIVE]),
      { outcome: "already_exists" },
    );
    const [row] = await client.listClusters();
    assert.equal(row.manager_peer_id, MANAGER, "the first claim holds");
  });
});

Deno.test("list: newest created first", async () => {
  await withServer({}, async (_server, client) => {
    assert.deepEqual(await client.listClusters(), []);
    for (const name of ["first", "second", "third"]) {
      await client.createCluster(name, MANAGER, [NATIVE]);
    }
    const rows = await client.listClusters();
    assert.deepEqual(rows.map((r) => r.name), ["third", "second", "first"]);
    assert.ok(rows[0].created_ns > rows[1].created_ns);
    assert.ok(rows[1].created_ns > rows[2].created_ns);
  });
});

Deno.test("liveness: overwrites peer_count and bumps the liveness stamp; 404 when absent", async () => {
  await withServer({}, async (_server, client) => {
    const created = await client.createCluster("alpha", MANAGER, [NATIVE]);
    assert.equal(created.outcome, "created");
    if (created.outcome !== "created") return;
    await delay(5);
    const updated = await client.livenessCheck("alpha", 4);
    assert.equal(updated.peer_count, 4);
    assert.equal(updated.created_ns, created.entry.created_ns);
    assert.ok(updated.last_liveness_check_ns > created.entry.created_ns);
    const [row] = await client.listClusters();
    assert.deepEqual(row, updated);
    await assert.rejects(
      client.livenessCheck("nobody", 1),
      (e) => e instanceof DiscoveryRowMissing && e.cluster === "nobody",
    );
  });
});

Deno.test("rotate: swaps the Manager hint and relay hints; 404 is DiscoveryRowMissing", async () => {
  await withServer({}, async (_server, client) => {
    await client.createCluster("alpha", MANAGER, [NATIVE], [RELAY_BASE]);
    let [row] = await client.listClusters();
    assert.deepEqual(row.relay_multiaddrs, [RELAY_BASE]);
    const beat = await client.livenessCheck("alpha", 3);
    const successorAddr = "/ip4/192.168.9.11/tcp/4001";
    const rotated = await client.rotateManager("alpha", SUCCESSOR, [
      successorAddr,
    ]);
    assert.equal(rotated.manager_peer_id, SUCCESSOR);
    assert.deepEqual(rotated.manager_multiaddrs, [successorAddr]);
    assert.deepEqual(rotated.relay_multiaddrs, []);
    assert.equal(rotated.peer_count, 3, "rotate keeps the peer count");
    assert.equal(rotated.created_ns, row.created_ns);
    assert.ok(
      rotated.last_liveness_check_ns > beat.last_liveness_check_ns,
      "a rotate counts as liveness",
    );
    [row] = await client.listClusters();
    assert.deepEqual(row, rotated);
    await assert.rejects(
      client.rotateManager("swept", SUCCESSOR, [successorAddr]),
      DiscoveryRowMissing,
    );
  });
});

Deno.test("rotate: relay hints are derived from a circuit Manager address", async () => {
  await withServer({}, async (_server, client) => {
    await client.createCluster("alpha", MANAGER, [NATIVE]);
    const circuit = `${RELAY_BASE}/p2p-circuit/p2p/${SUCCESSOR}`;
    const rotated = await client.rotateManager("alpha", SUCCESSOR, [circuit]);
    assert.deepEqual(rotated.manager_multiaddrs, [circuit]);
    assert.deepEqual(rotated.relay_multiaddrs, [RELAY_BASE]);
  });
});

Deno.test("deregister: 204, the row leaves the list, then 404", async () => {
  await withServer({}, async (server, client) => {
    await client.createCluster("alpha", MANAGER, [NATIVE]);
    await client.createCluster("beta", MANAGER, [NATIVE]);
    const response = await raw(`${server.url}/clusters/alpha`, "DELETE");
    assert.equal(response.status, 204);
    assert.equal(response.json, null);
    assert.deepEqual((await client.listClusters()).map((r) => r.name), [
      "beta",
    ]);
    await client.deregister("beta");
    assert.deepEqual(await client.listClusters(), []);
    await assert.rejects(client.deregister("beta"), DiscoveryRowMissing);
    // The name is free again.
    const again = await client.createCluster("beta", SUCCESSOR, [NATIVE]);
    assert.equal(again.outcome, "created");
  });
});

Deno.test("sweep: a silent row goes after the TTL, a row posting liveness stays", async () => {
  await withServer({ ttlMs: 300 }, async (_server, client) => {
    await client.createCluster("silent", MANAGER, [NATIVE]);
    await client.createCluster("alive", MANAGER, [NATIVE]);
    assert.equal((await client.listClusters()).length, 2);
    const until = Date.now() + 1_300;
    while (Date.now() < until) {
      await client.livenessCheck("alive", 2);
      await delay(100);
    }
    assert.deepEqual((await client.listClusters()).map((r) => r.name), [
      "alive",
    ]);
    await assert.rejects(
      client.livenessCheck("silent", 1),
      DiscoveryRowMissing,
    );
  });
});

Deno.test("sweep: nothing goes before the TTL", async () => {
  await withServer({ ttlMs: 2_000 }, async (_server, client) => {
    await client.createCluster("quiet", MANAGER, [NATIVE]);
    await delay(1_100);
    assert.deepEqual((await client.listClusters()).map((r) => r.name), [
      "quiet",
    ]);
  });
});

Deno.test("names: the pattern is enforced with 400 and an error body", async () => {
  await withServer({}, async (server, client) => {
    const longest = "a".repeat(64);
    for (const name of [longest, "A-z_0-9", "x"]) {
      const outcome = await client.createCluster(name, MANAGER, [NATIVE]);
      assert.equal(outcome.outcome, "created", name);
    }
    for (
      const name of [
        "a".repeat(65),
        "bad.name",
        "with space",
        "é",
        "a/b",
        "%zz",
      ]
    ) {
      await assert.rejects(
        client.createCluster(name, MANAGER, [NATIVE]),
        (e) => {
          assert.ok(e instanceof DiscoveryStatusError, name);
          assert.equal(e.status, 400, name);
          assert.match(e.message, /invalid cluster name/, name);
          return true;
        },
      );
    }
    for (
      const path of ["/clusters/", "/clusters/%zz", "/clusters/a.b/liveness"]
    ) {
      const response = await raw(`${server.url}${path}`, "POST", CREATE_BODY);
      assert.equal(response.status, 400, path);
      assert.match(
        (response.json as { error: string }).error,
        /^invalid cluster name .*\^\[A-Za-z0-9_-\]\{1,64\}\$/,
        path,
      );
    }
    assert.equal((await client.listClusters()).length, 3);
  });
});

Deno.test("bodies: malformed, mistyped and oversized bodies get 4xx JSON errors", async () => {
  await withServer({}, async (server, client) => {
    await client.createCluster("alpha", MANAGER, [NATIVE]);
    const cases: [string, string, BodyInit, number][] = [
      ["POST", "/clusters/beta", "{not json", 400],
      ["POST", "/clusters/beta", "", 400],
      ["POST", "/clusters/beta", new Uint8Array([0x7b, 0xff, 0x7d]), 400],
      ["POST", "/clusters/beta", "[]", 422],
      ["POST", "/clusters/beta", "{}", 422],
      ["POST", "/clusters/beta", `{"manager_peer_id":"${MANAGER}"}`, 422],
      [
        "POST",
        "/clusters/beta",
        `{"manager_peer_id":"not-a-peer","manager_multiaddrs":[]}`,
        422,
      ],
      [
        "POST",
        "/clusters/beta",
        `{"manager_peer_id":"${MANAGER}","manager_multiaddrs":["garbage"]}`,
        422,
      ],
      [
        "POST",
        "/clusters/beta",
        `{"manager_peer_id":"${MANAGER}","manager_multiaddrs":"${NATIVE}"}`,
        422,
      ],
      [
        "POST",
        "/clusters/alpha/manager",
        `{"manager_peer_id":"${MANAGER}","manager_multiaddrs":[],"relay_multiaddrs":[1]}`,
        422,
      ],
      ["POST", "/clusters/alpha/liveness", `{"peer_count":"3"}`, 422],
      ["POST", "/clusters/alpha/liveness", `{"peer_count":-1}`, 422],
      ["POST", "/clusters/alpha/liveness", `{"peer_count":1.5}`, 422],
      ["POST", "/clusters/alpha/liveness", `{"peer_count":4294967296}`, 422],
      [
        "POST",
        "/clusters/alpha/liveness",
        `{"peer_count":99999999999999999999}`,
        422,
      ],
      ["POST", "/clusters/alpha/liveness", "null", 422],
      [
        "POST",
        "/clusters/beta",
        `{"manager_peer_id":"${MANAGER}","manager_multiaddrs":["${
          "/ip4/1.2.3.4/tcp/1".padEnd(MAX_BODY_BYTES, " ")
        }"]}`,
        413,
      ],
    ];
    for (const [method, path, body, status] of cases) {
      const response = await raw(`${server.url}${path}`, method, body);
      const label = `${method} ${path} ${String(body).slice(0, 80)}`;
      assert.equal(response.status, status, label);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.equal(
        typeof (response.json as { error: unknown }).error,
        "string",
        label,
      );
    }
    // Nothing changed, and the server still serves.
    const [row] = await client.listClusters();
    assert.equal(row.peer_count, 1);
    assert.equal((await client.listClusters()).length, 1);
  });
});

Deno.test("bodies: a streamed body over the cap is refused with 413", async () => {
  await withServer({}, async (server) => {
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await raw(`${server.url}/clusters/beta`, "POST", body);
    assert.equal(response.status, 413);
  });
});

Deno.test("bodies: a declared length over the cap is refused before the body is sent", async () => {
  await withServer({}, async (server) => {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.port,
    });
    let closed = false;
    const close = () => {
      if (!closed) conn.close();
      closed = true;
    };
    try {
      await conn.write(
        new TextEncoder().encode(
          "POST /clusters/beta HTTP/1.1\r\nHost: x\r\n" +
            `Content-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`,
        ),
      );
      const buffer = new Uint8Array(4096);
      const timer = setTimeout(close, 2_000);
      const read = await conn.read(buffer).catch(() => null);
      clearTimeout(timer);
      assert.ok(read !== null, "no answer without the body");
      assert.match(
        new TextDecoder().decode(buffer.subarray(0, read)),
        /^HTTP\/1\.1 413 /,
      );
    } finally {
      close();
    }
  });
});

Deno.test("a wildcard bind gives a loopback URL", async () => {
  await withServer({ hostname: "0.0.0.0" }, async (server, client) => {
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
    assert.deepEqual(await client.listClusters(), []);
  });
});

Deno.test("routes: wrong methods get 405 with Allow, unknown paths 404", async () => {
  await withServer({}, async (server) => {
    const cases: [string, string, number, string | null][] = [
      ["POST", "/clusters", 405, "GET"],
      ["DELETE", "/clusters", 405, "GET"],
      ["PUT", "/clusters/alpha", 405, "POST, DELETE"],
      ["GET", "/clusters/alpha", 405, "POST, DELETE"],
      ["GET", "/clusters/alpha/liveness", 405, "POST"],
      ["DELETE", "/clusters/alpha/manager", 405, "POST"],
      ["GET", "/", 404, null],
      ["GET", "/nodes", 404, null],
      ["POST", "/clusters/alpha/peers", 404, null],
      ["GET", "/clusters/a/b/c", 404, null],
    ];
    for (const [method, path, status, allow] of cases) {
      const response = await raw(`${server.url}${path}`, method);
      assert.equal(response.status, status, `${method} ${path}`);
      assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
      assert.equal(
        typeof (response.json as { error: unknown }).error,
        "string",
      );
    }
  });
});

Deno.test("timestamps beyond 2^53 cross the wire exactly", async () => {
  await withServer({}, async (server, client) => {
    await client.createCluster("alpha", MANAGER, [NATIVE]);
    const entry = await client.livenessCheck("alpha", 2);
    assert.ok(entry.created_ns > 2n ** 53n);
    const text = await (await fetch(`${server.url}/clusters`)).text();
    const digits = /"created_ns":(\d+),"last_liveness_check_ns":(\d+)/.exec(
      text,
    );
    assert.ok(digits, text);
    assert.equal(digits[1], entry.created_ns.toString());
    assert.equal(digits[2], entry.last_liveness_check_ns.toString());
  });
});

Deno.test("token: writes need the bearer token, reads stay open", async () => {
  await withServer({ token: "s3cret" }, async (server) => {
    const anonymous = new DiscoveryClient(server.url);
    const wrong = new DiscoveryClient(server.url, { authorization: "nope" });
    for (const client of [anonymous, wrong]) {
      await assert.rejects(
        client.createCluster("alpha", MANAGER, [NATIVE]),
        (e) => e instanceof DiscoveryStatusError && e.status === 401,
      );
    }
    const unauthorized = await raw(
      `${server.url}/clusters/alpha`,
      "POST",
      CREATE_BODY,
    );
    assert.equal(unauthorized.headers.get("www-authenticate"), "Bearer");
    assert.deepEqual(unauthorized.json, {
      error: "missing or invalid bearer token",
    });
    // A raw token is normalised to "Bearer s3cret"; any case of the scheme is accepted.
    const owner = new DiscoveryClient(server.url, { authorization: "s3cret" });
    assert.equal(
      (await owner.createCluster("alpha", MANAGER, [NATIVE])).outcome,
      "created",
    );
    const lowercase = await raw(
      `${server.url}/clusters/alpha/liveness`,
      "POST",
      `{"peer_count":2}`,
      { authorization: "bearer s3cret" },
    );
    assert.equal(lowercase.status, 200);
    assert.equal((await anonymous.listClusters()).length, 1);
    for (
      const call of [
        () => anonymous.livenessCheck("alpha", 5),
        () => anonymous.rotateManager("alpha", SUCCESSOR, [NATIVE]),
        () => anonymous.deregister("alpha"),
      ]
    ) {
      await assert.rejects(
        call(),
        (e) => e instanceof DiscoveryStatusError && e.status === 401,
      );
    }
    const [row] = await anonymous.listClusters();
    assert.equal(row.peer_count, 2);
    assert.equal(row.manager_peer_id, MANAGER);
    await owner.deregister("alpha");
    assert.deepEqual(await anonymous.listClusters(), []);
  });
});

Deno.test("logging: one line per write request, none for reads, successful liveness only at debug", async () => {
  for (const level of ["info", "debug"] as const) {
    const lines: string[] = [];
    const logger = createLogger({ level, sink: (line) => lines.push(line) });
    await withServer({ logger }, async (_server, client) => {
      await client.createCluster("alpha", MANAGER, [NATIVE]);
      await client.createCluster("alpha", MANAGER, [NATIVE]);
      await client.livenessCheck("alpha", 2);
      await client.livenessCheck("beta", 2).catch(() => {});
      await client.listClusters();
      await client.deregister("alpha");
    });
    const expected = [
      /INFO .*POST \/clusters\/alpha 201$/,
      /INFO .*POST \/clusters\/alpha 409: cluster "alpha" already exists$/,
      ...(level === "debug"
        ? [/DEBUG .*POST \/clusters\/alpha\/liveness 200$/]
        : []),
      /INFO .*POST \/clusters\/beta\/liveness 404/,
      /INFO .*DELETE \/clusters\/alpha 204$/,
    ];
    assert.equal(lines.length, expected.length, lines.join("\n"));
    expected.forEach((pattern, i) => assert.match(lines[i], pattern));
  }
});

Deno.test("stop: idempotent, and the client then finds Discovery unreachable", async () => {
  const server = startDiscoveryServer({ hostname: "127.0.0.1" });
  const client = new DiscoveryClient(server.url);
  try {
    await client.createCluster("alpha", MANAGER, [NATIVE]);
  } finally {
    await Promise.all([server.stop(), server.stop()]);
  }
  await server.stop();
  await assert.rejects(client.listClusters(), DiscoveryUnreachableError);
});

Deno.test("limits: creating past the cluster cap answers 429, a freed row makes room", async () => {
  await withServer({ maxClusters: 2 }, async (server, client) => {
    await client.createCluster("one", MANAGER, [NATIVE]);
    await client.createCluster("two", MANAGER, [NATIVE]);
    const third = await raw(
      `${server.url}/clusters/three`,
      "POST",
      CREATE_BODY,
    );
    assert.equal(third.status, 429);
    assert.deepEqual(third.json, {
      error: "this Discovery holds its limit of 2 clusters",
    });
    assert.equal(third.headers.get("retry-after"), "3");
    await client.deregister("one");
    assert.equal(
      (await raw(`${server.url}/clusters/three`, "POST", CREATE_BODY)).status,
      201,
    );
  });
});

Deno.test("limits: a Manager entry over the row size answers 413", async () => {
  await withServer({}, async (server) => {
    const body = JSON.stringify({
      manager_peer_id: MANAGER,
      manager_multiaddrs: Array.from(
        { length: 700 },
        (_, i) => `/ip4/10.0.${i >> 8}.${i & 255}/tcp/4001`,
      ),
    });
    const reply = await raw(`${server.url}/clusters/big`, "POST", body);
    assert.equal(reply.status, 413);
    assert.match(
      (reply.json as { error: string }).error,
      /^the Manager entry is \d+ bytes, more than 16384$/,
    );
  });
});
