/**
 * Relay source admission (spec genb.md 1.4): the request body, the response
 * bounds, and the exchange with a node answering `/auki-p2p/relay-auth/1`
 * (accepting, refusing) or not speaking it at all; admissions cached per
 * (relay, relay connection, target, domain, token iat) until
 * `accepted_until` − 1 s.
 */
import assert from "node:assert/strict";
import { multiaddr } from "@multiformats/multiaddr";
import type { Libp2p } from "@libp2p/interface";
import { encodeFrame, FrameReader } from "../../../core/codec/framing.ts";
import {
  acceptedUntil,
  AdmissionCache,
  AdmissionError,
  admissionRequest,
  admitThroughRelay,
  RELAY_AUTH,
  relayOf,
} from "../../../agent/genb/relay_admission.ts";
import { newSigningKey } from "../../../scripts/harness/genb_tokens.ts";
import { authorityFor, DOMAIN, startNode, TestClock } from "./_genb.ts";

const TARGET = "12D3KooWMxnBignL5KrLCJUdjEDEUNQo2r9WB9YxQjGp1JeFHJzY";
const NOW = Date.parse("2026-12-03T10:00:00Z");
const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

Deno.test("relay admission: request body and response bounds", () => {
  assert.equal(
    new TextDecoder().decode(admissionRequest(DOMAIN, TARGET, "jwt")),
    `{"version":1,"domain_id":"${DOMAIN}","target_peer_id":"${TARGET}","p2p_access_token":"jwt"}`,
  );
  const exp = NOW / 1000 + 600;
  assert.equal(
    acceptedUntil(
      enc({ accepted: true, accepted_until: "2026-12-03T10:00:20Z" }),
      NOW,
      exp,
    ),
    NOW + 20_000,
  );
  const refused = (body: unknown, pattern: RegExp, tokenExp = exp) =>
    assert.throws(
      () => acceptedUntil(enc(body), NOW, tokenExp),
      (e: Error) => e instanceof AdmissionError && pattern.test(e.message),
    );
  refused({ accepted: false }, /refused admission/);
  refused(
    { accepted: true, accepted_until: "2026-12-03T10:00:31Z" },
    /out of bounds/,
  );
  refused(
    { accepted: true, accepted_until: "2026-12-03T10:00:20Z" },
    /out of bounds/,
    NOW / 1000 + 10,
  );
  refused(
    { accepted: true, accepted_until: "2026-12-03T10:00:20+00:00" },
    /out of bounds/,
  );
  refused({ accepted: true }, /malformed/);
  refused({ accepted: false, extra: 1 }, /malformed/);
  assert.equal(relayOf(multiaddr("/ip4/127.0.0.1/tcp/1")), undefined);
});

async function withRelayNode(
  answer: ((request: unknown) => unknown) | undefined,
  fn: (relay: Libp2p, client: Libp2p, seen: unknown[]) => Promise<void>,
): Promise<void> {
  const relay = await startNode();
  const client = await startNode(undefined, false);
  const seen: unknown[] = [];
  if (answer !== undefined) {
    await relay.handle(RELAY_AUTH, async (stream) => {
      const body = await new FrameReader(stream, { maxBytes: 65536 }).read();
      const request = JSON.parse(new TextDecoder().decode(body!));
      seen.push(request);
      stream.send(encodeFrame(enc(answer(request)), { maxBytes: 4096 }));
      await stream.close();
    });
  }
  try {
    await fn(relay, client, seen);
  } finally {
    await client.stop();
    await relay.stop();
  }
}

Deno.test("relay admission: accepted, refused, and relays without the protocol", async () => {
  const key = await newSigningKey();
  const clock = new TestClock();
  const circuit = (relay: Libp2p) =>
    multiaddr(`${relay.getMultiaddrs()[0]}/p2p-circuit/p2p/${TARGET}`);
  await withRelayNode(
    () => ({
      accepted: true,
      accepted_until: new Date(Date.now() + 10_000).toISOString()
        .replace(/\.\d+Z$/, "Z"),
    }),
    async (relay, client, seen) => {
      const authority = await authorityFor(client, key, clock);
      await admitThroughRelay(client, circuit(relay), authority);
      assert.deepEqual(seen, [{
        version: 1,
        domain_id: DOMAIN,
        target_peer_id: TARGET,
        p2p_access_token: authority.localToken(),
      }]);
      // Cached for the same relay connection, target, domain and token.
      await admitThroughRelay(client, circuit(relay), authority);
      assert.equal(seen.length, 1);
      // Another target, another token (newer iat), another relay
      // connection: each is admitted anew.
      const other = "12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE";
      await admitThroughRelay(
        client,
        multiaddr(`${relay.getMultiaddrs()[0]}/p2p-circuit/p2p/${other}`),
        authority,
      );
      assert.equal(seen.length, 2);
      clock.ms += 1000;
      const renewed = await authorityFor(client, key, clock);
      await admitThroughRelay(client, circuit(relay), renewed);
      assert.equal(seen.length, 3);
      await client.hangUp(relay.peerId);
      await admitThroughRelay(client, circuit(relay), renewed);
      assert.equal(seen.length, 4);
    },
  );
  await withRelayNode(() => ({ accepted: false }), async (relay, client) => {
    const authority = await authorityFor(client, key, clock);
    await assert.rejects(
      admitThroughRelay(client, circuit(relay), authority),
      /the relay refused admission/,
    );
  });
  await withRelayNode(undefined, async (relay, client) => {
    const authority = await authorityFor(client, key, clock);
    await admitThroughRelay(client, circuit(relay), authority);
  });
});

Deno.test("relay admission cache: per key until accepted_until - 1 s", () => {
  const cache = new AdmissionCache();
  const key = AdmissionCache.key("relay", "conn-1", TARGET, DOMAIN, 1700000000);
  assert.notEqual(
    key,
    AdmissionCache.key("relay", "conn-2", TARGET, DOMAIN, 1700000000),
  );
  assert.notEqual(
    key,
    AdmissionCache.key("relay", "conn-1", TARGET, DOMAIN, 1700000001),
  );
  assert.equal(cache.admitted(key, NOW), false);
  cache.admit(key, NOW + 20_000, NOW);
  assert.equal(cache.admitted(key, NOW), true);
  assert.equal(cache.admitted(key, NOW + 18_999), true);
  assert.equal(cache.admitted(key, NOW + 19_000), false);
  assert.equal(cache.size, 0, "an ended admission is dropped");
  cache.admit(key, NOW + 5_000, NOW);
  cache.admit("other", NOW + 30_000, NOW + 10_000);
  assert.equal(cache.size, 1, "ended admissions are pruned on admit");
});
