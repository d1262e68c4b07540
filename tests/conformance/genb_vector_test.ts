/**
 * The Stage 1 cross-repository vector of generation B (spec genb.md 6),
 * byte for byte: seed to peer id, the signed token verified with the
 * vector's DDS key at the vector's time, the handshake transcript, and the
 * resources request and response frames — as pure codecs and through the
 * real handshake between libp2p nodes (one speaking raw bytes).
 */
import assert from "node:assert/strict";
import type { Libp2p } from "@libp2p/interface";
import { encodeFrame } from "../../core/codec/framing.ts";
import { jsonBytes, parseJson } from "../../core/codec/json.ts";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { peerIdFromSeed } from "../../agent/identity/wallet.ts";
import { answerAuthResourcesV2 } from "../../agent/genb/answers.ts";
import { Authority } from "../../agent/genb/authority.ts";
import { authRequest } from "../../agent/genb/client.ts";
import { ACCEPT, tokenFrame } from "../../agent/genb/handshake.ts";
import { AUTH_RESOURCES_V2 } from "../../agent/genb/ids.ts";
import { KeyRing } from "../../agent/genb/key_ring.ts";
import { StreamBytes } from "../../agent/genb/stream_bytes.ts";
import type { TokenError } from "../../agent/genb/token.ts";
import {
  ResourceEntry,
  ResourcesResponse,
} from "../../agent/catalog/resource_entry.ts";
import { RESOURCES_LIMITS } from "../../agent/protocols/resources.ts";
import {
  claimsFor,
  keyDocument,
  keyEntry,
  newSigningKey,
  signToken,
} from "../../scripts/harness/genb_tokens.ts";
import { serveGenB, startNode, TestClock } from "../agent/genb/_genb.ts";
import { fromHex, toHex } from "../helpers/hex.ts";

const VECTOR = JSON.parse(
  await Deno.readTextFile(
    new URL(
      "./vectors-genb/stage1_cross_repository_vector.json",
      import.meta.url,
    ),
  ),
);
const SEED = fromHex(VECTOR.identity_seed_hex);
const TOKEN: string = VECTOR.signed_credential;
const PEM: string = VECTOR.dds_es256_public_key_pem;
const AT_MS = (VECTOR.signed_claims.iat + 100) * 1000;
const ROWS = () =>
  VECTOR.resources_response.resources.map((r: unknown) =>
    ResourceEntry.parse(parseJson(JSON.stringify(r)))
  );

async function vectorAuthority(clock: TestClock, ring?: KeyRing) {
  const keys = ring ?? new KeyRing();
  if (ring === undefined) {
    await keys.install(await keyDocument(1, PEM), clock.ms);
  }
  return new Authority(
    { domainId: VECTOR.domain_id, peerId: VECTOR.peer_id, keys },
    clock.now,
  );
}

Deno.test("genb vector: seed d3 x 32 is the Ed25519 secret of the vector's peer id", async () => {
  // The vector's seed is a libp2p identity seed (`Identity::from_ed25519_seed`),
  // not a wallet seed: derive_child("peer/v1") of it is another peer.
  const key = await generateKeyPairFromSeed("Ed25519", SEED);
  assert.equal(peerIdFromPrivateKey(key).toString(), VECTOR.peer_id);
  assert.notEqual((await peerIdFromSeed(SEED)).toString(), VECTOR.peer_id);
});

Deno.test("genb vector: the DDS key id and the token verify at the vector's time", async () => {
  const entry = await keyEntry(PEM, "current");
  assert.match(entry.id, /^2e49cac5[0-9a-f]{52}1054$/);
  const clock = new TestClock(AT_MS);
  const authority = await vectorAuthority(clock);
  const claims = await authority.verifyPeer(TOKEN, VECTOR.peer_id);
  assert.deepEqual(claims, VECTOR.signed_claims);
  assert.equal(new TextEncoder().encode(TOKEN).byteLength, 619);
  // At the literal exp it is refused; a flipped signature bit is refused.
  clock.ms = VECTOR.signed_claims.exp * 1000;
  await assert.rejects(
    authority.verifyPeer(TOKEN, VECTOR.peer_id),
    (e: TokenError) => e.reason === "expired",
  );
  clock.ms = AT_MS;
  const last = TOKEN.at(-2) === "A" ? "B" : "A";
  await assert.rejects(
    authority.verifyPeer(
      TOKEN.slice(0, -2) + last + TOKEN.at(-1),
      VECTOR.peer_id,
    ),
    (e: TokenError) => e.reason === "unknown_key",
  );
});

Deno.test("genb vector: handshake transcript and resources frames as codecs", () => {
  const transcript = new Uint8Array([...tokenFrame(TOKEN), ACCEPT]);
  assert.equal(toHex(transcript), VECTOR.mutual_auth_frame_hex);
  assert.equal(toHex(tokenFrame("jwt")), "000000036a7774");
  assert.equal(
    toHex(encodeFrame(jsonBytes({}), RESOURCES_LIMITS)),
    VECTOR.resources_request_frame_hex,
  );
  const answer = answerAuthResourcesV2(jsonBytes({}), ROWS);
  assert.equal(
    toHex(encodeFrame(answer, RESOURCES_LIMITS)),
    VECTOR.resources_response_frame_hex,
  );
});

async function readAll(bytes: StreamBytes, n: number): Promise<Uint8Array> {
  const got = await bytes.read(n, AbortSignal.timeout(5_000));
  assert.ok(got !== null, `stream ended before ${n} bytes`);
  return got;
}

/** A node with the vector's identity and a second node, both stopped after `fn`. */
async function withVectorPeer(
  fn: (vectorPeer: Libp2p, other: Libp2p) => Promise<void>,
): Promise<void> {
  const vectorPeer = await startNode(
    await generateKeyPairFromSeed("Ed25519", SEED),
  );
  const other = await startNode();
  try {
    await fn(vectorPeer, other);
  } finally {
    await vectorPeer.stop();
    await other.stop();
  }
}

Deno.test("genb vector: our client writes the vector's transcript and request frame, reads its response", async () => {
  await withVectorPeer(async (client, raw) => {
    const clock = new TestClock(AT_MS);
    const testKey = await newSigningKey();
    const ring = new KeyRing();
    await ring.install(await keyDocument(1, testKey.pem, PEM), clock.ms);
    const authority = await vectorAuthority(clock, ring);
    await authority.install(TOKEN);
    const rawToken = await signToken(
      claimsFor(raw.peerId.toString(), VECTOR.domain_id, AT_MS / 1000 - 100),
      testKey.privateKey,
    );
    const seen: Promise<Uint8Array>[] = [];
    await raw.handle(AUTH_RESOURCES_V2, (stream) => {
      const bytes = new StreamBytes(stream);
      stream.send(new Uint8Array([...tokenFrame(rawToken), ACCEPT]));
      const got = (async () => {
        const transcript = await readAll(bytes, 4 + 619 + 1);
        const request = await readAll(bytes, 6);
        stream.send(fromHex(VECTOR.resources_response_frame_hex));
        await stream.close();
        return new Uint8Array([...transcript, ...request]);
      })();
      seen.push(got);
    });
    const response = await authRequest(
      client,
      raw.getMultiaddrs(),
      AUTH_RESOURCES_V2,
      jsonBytes({}),
      RESOURCES_LIMITS,
      authority,
    );
    const written = await seen[0];
    assert.equal(
      toHex(written),
      VECTOR.mutual_auth_frame_hex + VECTOR.resources_request_frame_hex,
    );
    const rows = ResourcesResponse.parse(
      parseJson(new TextDecoder().decode(response)),
    );
    assert.deepEqual(rows.resources, ROWS());
  });
});

Deno.test("genb vector: our server answers the vector's bytes with its token frame, 01 and the vector's response frame", async () => {
  await withVectorPeer(async (raw, server) => {
    const clock = new TestClock(AT_MS);
    const testKey = await newSigningKey();
    const ring = new KeyRing();
    await ring.install(await keyDocument(1, testKey.pem, PEM), clock.ms);
    const authority = new Authority(
      {
        domainId: VECTOR.domain_id,
        peerId: server.peerId.toString(),
        keys: ring,
      },
      clock.now,
    );
    const serverToken = await signToken(
      claimsFor(server.peerId.toString(), VECTOR.domain_id, AT_MS / 1000 - 100),
      testKey.privateKey,
    );
    await authority.install(serverToken);
    const { service } = await serveGenB(server, authority, ROWS);
    try {
      const stream = await raw.dialProtocol(
        server.getMultiaddrs(),
        AUTH_RESOURCES_V2,
      );
      const bytes = new StreamBytes(stream);
      // Transcript and request in one write: the handshake must hand the
      // request bytes it read ahead to the resources codec.
      stream.send(
        fromHex(
          VECTOR.mutual_auth_frame_hex + VECTOR.resources_request_frame_hex,
        ),
      );
      const expected = toHex(tokenFrame(serverToken)) + "01" +
        VECTOR.resources_response_frame_hex;
      const got = await readAll(bytes, expected.length / 2);
      assert.equal(toHex(got), expected);
      await stream.close();
    } finally {
      await service.stop();
    }
  });
});
