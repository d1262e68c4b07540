/**
 * The gen-B service between real libp2p nodes: the token handshake before
 * every authenticated protocol, consumers with valid, wrong-domain,
 * wrong-peer, expired, unknown-key and missing tokens, an oversize token
 * frame, a peer that never sends its status byte, rate-limited refusal
 * lines, the server's own expiry and renewal, and the agent serving on.
 */
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Libp2p } from "@libp2p/interface";
import { jsonBytes, parseJsonBytes } from "../../../core/codec/json.ts";
import { InfoRequestSchema } from "../../../core/proto/gen/auki/info_pb.ts";
import { fromBinary } from "@bufbuild/protobuf";
import { InfoResponseSchema } from "../../../core/proto/gen/auki/info_pb.ts";
import { Authority } from "../../../agent/genb/authority.ts";
import { authRequest } from "../../../agent/genb/client.ts";
import {
  authenticateStream,
  HandshakeError,
  tokenFrame,
} from "../../../agent/genb/handshake.ts";
import {
  AUTH_INFO,
  AUTH_REGISTRIES_V3,
  AUTH_RESOURCES_V2,
  AUTH_RESOURCES_V3,
} from "../../../agent/genb/ids.ts";
import { StreamBytes } from "../../../agent/genb/stream_bytes.ts";
import { INFO_LIMITS } from "../../../agent/protocols/info.ts";
import { REGISTRIES_LIMITS } from "../../../agent/protocols/registries.ts";
import { RESOURCES_LIMITS } from "../../../agent/protocols/resources.ts";
import {
  claimsFor,
  newSigningKey,
  type SigningKey,
  signToken,
} from "../../../scripts/harness/genb_tokens.ts";
import { until } from "../../helpers/wait.ts";
import type { MemoryLogger } from "../../helpers/logger.ts";
import {
  authorityFor,
  DOMAIN,
  ringOf,
  serveGenB,
  startNode,
  TestClock,
} from "./_genb.ts";

interface Setup {
  key: SigningKey;
  clock: TestClock;
  server: Libp2p;
  client: Libp2p;
  serverAuthority: Authority;
  logger: MemoryLogger;
}

async function withServer(fn: (s: Setup) => Promise<void>): Promise<void> {
  const key = await newSigningKey();
  const clock = new TestClock();
  const server = await startNode();
  const client = await startNode(undefined, false);
  const serverAuthority = await authorityFor(server, key, clock);
  const { service, logger } = await serveGenB(
    server,
    serverAuthority,
    () => [],
  );
  try {
    await fn({ key, clock, server, client, serverAuthority, logger });
  } finally {
    await service.stop();
    await client.stop();
    await server.stop();
  }
}

/** A client authority whose token is `token` (installed without checks). */
async function clientWith(
  s: Setup,
  claims: Record<string, unknown>,
  key: SigningKey = s.key,
): Promise<Authority> {
  const token = await signToken(claims, key.privateKey);
  const authority = new Authority(
    {
      domainId: DOMAIN,
      peerId: s.client.peerId.toString(),
      keys: await ringOf(s.clock, s.key.pem),
    },
    s.clock.now,
  );
  // Bad tokens cannot be installed: offer them as they are.
  authority.localToken = () => token;
  authority.localExpiry = () => Number.MAX_SAFE_INTEGER;
  return authority;
}

function catalog(s: Setup, authority: Authority, protocol = AUTH_RESOURCES_V2) {
  return authRequest(
    s.client,
    s.server.getMultiaddrs(),
    protocol,
    jsonBytes({}),
    RESOURCES_LIMITS,
    authority,
  );
}

const nowS = (s: Setup) => Math.floor(s.clock.ms / 1000);

Deno.test("genb service: valid consumers get info, catalogs and registries", async () => {
  await withServer(async (s) => {
    const client = await authorityFor(s.client, s.key, s.clock);
    const rows = parseJsonBytes(await catalog(s, client));
    assert.deepEqual(rows, { resources: [] });
    const v3 = parseJsonBytes(await catalog(s, client, AUTH_RESOURCES_V3));
    assert.deepEqual(v3, { resources: [] });
    const info = await authRequest(
      s.client,
      s.server.getMultiaddrs(),
      AUTH_INFO,
      toBinary(InfoRequestSchema, create(InfoRequestSchema)),
      INFO_LIMITS,
      client,
    );
    const json = JSON.parse(
      fromBinary(InfoResponseSchema, info).participantInfoJson,
    );
    assert.deepEqual(Object.keys(json), [
      "app",
      "app_version",
      "name",
      "session_id",
      "session_clock_id",
      "session_clock_hash",
      "session_now_ns",
      "peer_id",
      "app_instance",
    ]);
    assert.equal(json.peer_id, s.server.peerId.toString());
    const list = await authRequest(
      s.client,
      s.server.getMultiaddrs(),
      AUTH_REGISTRIES_V3,
      jsonBytes({ op: "list", kind: "device_model" }),
      REGISTRIES_LIMITS,
      client,
    );
    assert.deepEqual(parseJsonBytes(list), { op: "list", entries: [] });
  });
});

Deno.test("genb service: bad tokens get the reject byte, one line per 10 s, and serving goes on", async () => {
  await withServer(async (s) => {
    const me = s.client.peerId.toString();
    const other = await newSigningKey();
    const bad: [string, Record<string, unknown>, SigningKey?][] = [
      [
        "wrong_domain",
        claimsFor(me, "00000000-0000-4000-8000-00000000000a", nowS(s)),
      ],
      ["wrong_peer", claimsFor(s.server.peerId.toString(), DOMAIN, nowS(s))],
      ["expired", claimsFor(me, DOMAIN, nowS(s) - 1800)],
      ["unknown_key", claimsFor(me, DOMAIN, nowS(s)), other],
    ];
    for (const [reason, claims, key] of bad) {
      await assert.rejects(
        catalog(s, await clientWith(s, claims, key)),
        (error: HandshakeError) => {
          assert.ok(error instanceof HandshakeError, `${reason}: ${error}`);
          assert.equal(error.reason, "refused", `${reason}: ${error.message}`);
          return true;
        },
      );
    }
    const empty = await clientWith(s, {});
    empty.localToken = () => "";
    await assert.rejects(catalog(s, empty), HandshakeError);
    const refusals = s.logger.lines.filter((l) =>
      l.includes(`refused ${AUTH_RESOURCES_V2} from ${me}`)
    );
    assert.equal(refusals.length, 1, s.logger.lines.join("\n"));
    assert.match(refusals[0], /wrong domain|not for domain/);
    const good = await authorityFor(s.client, s.key, s.clock);
    assert.deepEqual(parseJsonBytes(await catalog(s, good)), { resources: [] });
  });
});

Deno.test("genb service: an oversize token frame resets the stream before any status byte", async () => {
  await withServer(async (s) => {
    const stream = await s.client.dialProtocol(
      s.server.getMultiaddrs(),
      AUTH_RESOURCES_V2,
    );
    const bytes = new StreamBytes(stream);
    stream.send(Uint8Array.of(0x00, 0x01, 0x00, 0x01)); // 65537 bytes announced
    const head = await bytes.read(4, AbortSignal.timeout(5_000));
    const length = new DataView(head!.buffer, head!.byteOffset).getUint32(0);
    assert.ok(await bytes.read(length, AbortSignal.timeout(5_000)));
    await assert.rejects(
      (async () => {
        const status = await bytes.read(1, AbortSignal.timeout(5_000));
        if (status === null) throw new Error("ended");
      })(),
    );
    await until(
      () => s.logger.lines.some((l) => l.includes("exceeds 65536")),
      "the oversize refusal line",
    );
  });
});

Deno.test("genb handshake: a peer that never sends its status byte times out", async () => {
  const key = await newSigningKey();
  const clock = new TestClock();
  const server = await startNode();
  const client = await startNode(undefined, false);
  try {
    const serverAuthority = await authorityFor(server, key, clock);
    const clientAuthority = await authorityFor(client, key, clock);
    const outcome = new Promise<unknown>((resolve) => {
      server.handle(AUTH_RESOURCES_V2, (stream, connection) => {
        authenticateStream(
          stream,
          connection.remotePeer.toString(),
          serverAuthority,
          1_000,
        ).then(resolve, resolve);
      });
    });
    const stream = await client.dialProtocol(
      server.getMultiaddrs(),
      AUTH_RESOURCES_V2,
    );
    // A token frame, then silence: no status byte.
    stream.send(tokenFrame(clientAuthority.localToken()));
    const error = await outcome;
    assert.ok(error instanceof HandshakeError, String(error));
    assert.equal(error.reason, "timeout");
    assert.match(error.message, /status byte/);
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("genb service: at its own literal exp the server refuses until renewed", async () => {
  await withServer(async (s) => {
    const client = await authorityFor(s.client, s.key, s.clock);
    await catalog(s, client);
    // Both tokens expire; the client renews first, the server has not yet.
    s.clock.ms += 1800 * 1000;
    await client.install(
      await signToken(
        claimsFor(s.client.peerId.toString(), DOMAIN, nowS(s)),
        s.key.privateKey,
      ),
    );
    await assert.rejects(catalog(s, client), HandshakeError);
    await s.serverAuthority.install(
      await signToken(
        claimsFor(s.server.peerId.toString(), DOMAIN, nowS(s)),
        s.key.privateKey,
      ),
    );
    assert.deepEqual(parseJsonBytes(await catalog(s, client)), {
      resources: [],
    });
  });
});
