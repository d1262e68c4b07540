/**
 * DiscoveryClient against stub HTTP servers that record what they receive:
 * exact request bodies, headers, status mapping, response decoding, relay
 * hint derivation, authorization normalisation, unreachable and timeouts.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  DISCOVERY_HTTP_TIMEOUT_MS,
  DiscoveryClient,
  DiscoveryResponseError,
  DiscoveryRowMissing,
  DiscoveryStatusError,
  DiscoveryUnreachableError,
  normalizeAuthorization,
  relayHints,
} from "../../../agent/cluster/discovery_client.ts";

const MANAGER = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
const RELAY = "12D3KooWESKUn3Fh3xTMq1KzoxbQQ6PypHodP1JAb4p7qkxJxJ7n";
const OTHER_RELAY = "12D3KooWH8R2rfQYjYkpFEW7ao1J4QPDKLcoA6ofnDVAcfrYS94f";
const NATIVE = "/ip4/192.168.9.130/tcp/4001";
const RELAY_BASE = `/ip4/192.168.9.130/tcp/4002/ws/p2p/${RELAY}`;
const CIRCUIT = `${RELAY_BASE}/p2p-circuit/p2p/${MANAGER}`;
/** An entry as the Rust tests write it: timestamps beyond 2^53. */
const ENTRY_JSON = `{"name":"foo","manager_peer_id":"${MANAGER}",` +
  `"manager_multiaddrs":["${NATIVE}"],"relay_multiaddrs":[],"peer_count":3,` +
  `"created_ns":1715423400000000001,"last_liveness_check_ns":1715423500000000003}`;

interface Seen {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

type Stub = (seen: Seen) => Response | Promise<Response>;

function json(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Runs `work` against a stub server answering with `stub`; records every request. */
async function withStub(
  stub: Stub,
  work: (url: string, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const entry = {
        method: request.method,
        path: new URL(request.url).pathname,
        headers: request.headers,
        body: await request.text(),
      };
      seen.push(entry);
      return await stub(entry);
    },
  );
  try {
    await work(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

Deno.test("normalizeAuthorization: raw token, any-case Bearer, blank clears", () => {
  const cases: [string, string | undefined][] = [
    ["a.b.c", "Bearer a.b.c"],
    ["Bearer tok", "Bearer tok"],
    ["bearer tok", "Bearer tok"],
    ["  BEARER \t tok  ", "Bearer tok"],
    ["  ", undefined],
    ["", undefined],
    ["Basic abc", "Bearer Basic abc"],
    // As upstream: a lone scheme word is taken for a raw token.
    ["Bearer", "Bearer Bearer"],
  ];
  for (const [raw, expected] of cases) {
    assert.equal(normalizeAuthorization(raw), expected, JSON.stringify(raw));
  }
  assert.equal(
    new DiscoveryClient("http://x", { authorization: "tok" }).authorization,
    "Bearer tok",
  );
  assert.equal(
    new DiscoveryClient("http://x", { authorization: " " }).authorization,
    undefined,
  );
  assert.equal(new DiscoveryClient("http://x").authorization, undefined);
});

Deno.test("DiscoveryClient: trailing slashes stripped, non-http URLs refused", () => {
  assert.equal(
    new DiscoveryClient("http://example.com:8080/").baseUrl,
    "http://example.com:8080",
  );
  assert.equal(
    new DiscoveryClient("http://example.com:8080").baseUrl,
    "http://example.com:8080",
  );
  for (const bad of ["example.com", "ftp://example.com", ""]) {
    assert.throws(() => new DiscoveryClient(bad), TypeError, bad);
  }
});

Deno.test("relayHints: explicit first, then circuit relay bases, deduplicated", () => {
  assert.deepEqual(relayHints([NATIVE, CIRCUIT]), [RELAY_BASE]);
  const explicit = `/ip4/192.168.9.131/tcp/4002/ws/p2p/${OTHER_RELAY}`;
  assert.deepEqual(relayHints([CIRCUIT], [explicit]), [explicit, RELAY_BASE]);
  assert.deepEqual(relayHints([CIRCUIT, CIRCUIT], [RELAY_BASE]), [RELAY_BASE]);
  // A circuit with no relay peer id before /p2p-circuit is ignored.
  assert.deepEqual(
    relayHints([`/ip4/192.168.9.130/tcp/4002/ws/p2p-circuit/p2p/${MANAGER}`]),
    [],
  );
  assert.deepEqual(relayHints([NATIVE]), []);
});

Deno.test("requests: exact bodies, paths, content type", async () => {
  await withStub(
    ({ method, path }) =>
      method === "POST" && path === "/clusters/foo"
        ? json(201, ENTRY_JSON)
        : method === "DELETE"
        ? new Response(null, { status: 204 })
        : path === "/clusters"
        ? json(200, `{"clusters":[]}`)
        : json(200, ENTRY_JSON),
    async (url, seen) => {
      const client = new DiscoveryClient(`${url}/`);
      await client.createCluster("foo", MANAGER, [NATIVE]);
      await client.livenessCheck("foo", 7);
      await client.rotateManager("foo", MANAGER, [NATIVE, CIRCUIT]);
      await client.createCluster("foo", MANAGER, [NATIVE], [RELAY_BASE]);
      await client.listClusters();
      await client.deregister("foo");
      assert.deepEqual(
        seen.map((s) => [s.method, s.path, s.body]),
        [
          [
            "POST",
            "/clusters/foo",
            `{"manager_peer_id":"${MANAGER}","manager_multiaddrs":["${NATIVE}"]}`,
          ],
          ["POST", "/clusters/foo/liveness", `{"peer_count":7}`],
          [
            "POST",
            "/clusters/foo/manager",
            `{"manager_peer_id":"${MANAGER}","manager_multiaddrs":["${NATIVE}","${CIRCUIT}"],"relay_multiaddrs":["${RELAY_BASE}"]}`,
          ],
          [
            "POST",
            "/clusters/foo",
            `{"manager_peer_id":"${MANAGER}","manager_multiaddrs":["${NATIVE}"],"relay_multiaddrs":["${RELAY_BASE}"]}`,
          ],
          ["GET", "/clusters", ""],
          ["DELETE", "/clusters/foo", ""],
        ],
      );
      for (const s of seen) {
        assert.equal(
          s.headers.get("content-type"),
          s.method === "POST" ? "application/json" : null,
        );
        assert.equal(s.headers.get("authorization"), null);
      }
    },
  );
});

Deno.test("requests: the Authorization header goes with every request", async () => {
  await withStub(
    ({ method, path }) =>
      method === "DELETE"
        ? new Response(null, { status: 204 })
        : path === "/clusters"
        ? json(200, `{"clusters":[]}`)
        : json(
          method === "POST" && path === "/clusters/foo" ? 201 : 200,
          ENTRY_JSON,
        ),
    async (url, seen) => {
      const client = new DiscoveryClient(url, {
        authorization: "bearer a.b.c",
      });
      await client.createCluster("foo", MANAGER, [NATIVE]);
      await client.livenessCheck("foo", 1);
      await client.rotateManager("foo", MANAGER, [NATIVE]);
      await client.deregister("foo");
      await client.listClusters();
      assert.equal(seen.length, 5);
      for (const s of seen) {
        assert.equal(s.headers.get("authorization"), "Bearer a.b.c", s.method);
      }
    },
  );
});

Deno.test("createCluster: 201 created with the entry, 409 already exists, 200 is an error", async () => {
  let status = 201;
  await withStub(() => json(status, ENTRY_JSON), async (url) => {
    const client = new DiscoveryClient(url);
    const created = await client.createCluster("foo", MANAGER, [NATIVE]);
    assert.deepEqual(created, {
      outcome: "created",
      entry: {
        name: "foo",
        manager_peer_id: MANAGER,
        manager_multiaddrs: [NATIVE],
        relay_multiaddrs: [],
        peer_count: 3,
        created_ns: 1715423400000000001n,
        last_liveness_check_ns: 1715423500000000003n,
      },
    });
    status = 409;
    assert.deepEqual(await client.createCluster("foo", MANAGER, [NATIVE]), {
      outcome: "already_exists",
    });
    // As upstream, only 201 means created.
    status = 200;
    await assert.rejects(
      client.createCluster("foo", MANAGER, [NATIVE]),
      (e) => e instanceof DiscoveryStatusError && e.status === 200,
    );
  });
});

Deno.test("a server answering 500 gives DiscoveryStatusError with status and body", async () => {
  const body = `{"error":"database on fire"}`;
  await withStub(() => json(500, body), async (url) => {
    const client = new DiscoveryClient(url);
    const calls: [string, () => Promise<unknown>][] = [
      ["list", () => client.listClusters()],
      ["create", () => client.createCluster("foo", MANAGER, [NATIVE])],
      ["liveness", () => client.livenessCheck("foo", 2)],
      ["rotate", () => client.rotateManager("foo", MANAGER, [NATIVE])],
      ["deregister", () => client.deregister("foo")],
    ];
    for (const [name, call] of calls) {
      await assert.rejects(call(), (e) => {
        assert.ok(e instanceof DiscoveryStatusError, name);
        assert.ok(!(e instanceof DiscoveryRowMissing), name);
        assert.equal(e.status, 500);
        assert.equal(e.body, body);
        assert.match(e.message, /returned HTTP 500: database on fire$/);
        assert.ok(e.message.includes(url), e.message);
        return true;
      });
    }
  });
});

Deno.test("a 404 on a cluster row is DiscoveryRowMissing; on the list it is a status error", async () => {
  await withStub(
    () => json(404, `{"error":"cluster not found"}`),
    async (url) => {
      const client = new DiscoveryClient(url);
      for (
        const call of [
          () => client.rotateManager("gone", MANAGER, [NATIVE]),
          () => client.livenessCheck("gone", 1),
          () => client.deregister("gone"),
        ]
      ) {
        await assert.rejects(call(), (e) => {
          assert.ok(e instanceof DiscoveryRowMissing);
          assert.ok(e instanceof DiscoveryStatusError);
          assert.equal(e.status, 404);
          assert.equal(e.cluster, "gone");
          return true;
        });
      }
      await assert.rejects(
        client.listClusters(),
        (e) =>
          e instanceof DiscoveryStatusError &&
          !(e instanceof DiscoveryRowMissing),
      );
    },
  );
});

Deno.test("responses: legacy rows, small timestamps, bad rows rejected", async () => {
  let body = "";
  await withStub(() => json(200, body), async (url) => {
    const client = new DiscoveryClient(url);
    body = `{"clusters":[{"name":"old","manager_peer_id":"${MANAGER}",` +
      `"manager_multiaddrs":["${NATIVE}"],"peer_count":0,"created_ns":5,` +
      `"last_liveness_check_ns":9223372036854775807,"extra":true}]}`;
    const [row] = await client.listClusters();
    assert.deepEqual(row.relay_multiaddrs, []);
    assert.equal(row.created_ns, 5n);
    assert.equal(row.last_liveness_check_ns, 9223372036854775807n);
    assert.ok(!("extra" in row));

    const bad: [string, RegExp][] = [
      ["not json", /not JSON/],
      [
        `{"clusters":[${ENTRY_JSON.replace(MANAGER, "not-a-peer-id")}]}`,
        /peer id/,
      ],
      [`{"clusters":[${ENTRY_JSON.replace(NATIVE, "garbage")}]}`, /multiaddr/],
      [
        `{"clusters":[${
          ENTRY_JSON.replace('"peer_count":3', '"peer_count":4294967296')
        }]}`,
        /peer_count/,
      ],
      [
        `{"clusters":[${
          ENTRY_JSON.replace("1715423400000000001", "9223372036854775808")
        }]}`,
        /created_ns/,
      ],
      [
        `{"clusters":[${
          ENTRY_JSON.replace('"relay_multiaddrs":[]', '"relay_multiaddrs":null')
        }]}`,
        /relay_multiaddrs/,
      ],
      [`{"rows":[]}`, /clusters/],
    ];
    for (const [text, reason] of bad) {
      body = text;
      await assert.rejects(client.listClusters(), (e) => {
        assert.ok(e instanceof DiscoveryResponseError, text);
        assert.match(e.message, reason);
        return true;
      });
    }
  });
});

Deno.test("an unreachable Discovery is DiscoveryUnreachableError, quickly", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const client = new DiscoveryClient(`http://127.0.0.1:${port}`);
  const started = performance.now();
  await assert.rejects(client.listClusters(), (e) => {
    assert.ok(e instanceof DiscoveryUnreachableError);
    assert.equal(e.url, `http://127.0.0.1:${port}/clusters`);
    assert.match(
      e.message,
      new RegExp(
        `^Discovery at http://127\\.0\\.0\\.1:${port}/clusters is unreachable: `,
      ),
    );
    assert.ok(!e.message.includes("\n"));
    return true;
  });
  assert.ok(performance.now() - started < 1_000);
});

/** Runs `work` against a TCP listener that accepts and never answers. */
async function withSilentServer(work: (url: string) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    await work(`http://127.0.0.1:${listener.addr.port}`);
  } finally {
    listener.close();
    await accepting;
    for (const conn of accepted) conn.close();
  }
}

Deno.test("a Discovery that never answers times out as unreachable", async () => {
  await withSilentServer(async (url) => {
    const client = new DiscoveryClient(url, { timeoutMs: 300 });
    const started = performance.now();
    await assert.rejects(
      client.livenessCheck("foo", 1),
      (e) =>
        e instanceof DiscoveryUnreachableError &&
        e.message.endsWith("no answer within 300 ms"),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 1_500, `${elapsed} ms`);
  });
});

Deno.test("the default per-request bound is 2 s", async () => {
  assert.equal(DISCOVERY_HTTP_TIMEOUT_MS, 2_000);
  await withSilentServer(async (url) => {
    const started = performance.now();
    await assert.rejects(
      new DiscoveryClient(url).listClusters(),
      DiscoveryUnreachableError,
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 1_990 && elapsed < 3_500, `${elapsed} ms`);
  });
});

Deno.test("bad arguments are refused before any request", async () => {
  await withStub(() => json(200, ENTRY_JSON), async (url, seen) => {
    const client = new DiscoveryClient(url);
    await assert.rejects(client.livenessCheck("foo", -1), RangeError);
    await assert.rejects(client.livenessCheck("foo", 2 ** 32), RangeError);
    await assert.rejects(client.livenessCheck("foo", 1.5), RangeError);
    await assert.rejects(client.createCluster("foo", "not-a-peer", [NATIVE]));
    await assert.rejects(client.rotateManager("foo", MANAGER, ["garbage"]));
    assert.equal(seen.length, 0);
  });
});
