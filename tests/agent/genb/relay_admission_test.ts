/**
 * Relay source admission (spec genb.md 1.4): the request body, the response
 * bounds, and the exchange with a node answering `/auki-p2p/relay-auth/1`
 * (accepting, refusing) or not speaking it at all.
 */
import assert from "node:assert/strict";
import { multiaddr } from "@multiformats/multiaddr";
import type { Libp2p } from "@libp2p/interface";
import { encodeFrame, FrameReader } from "../../../core/codec/framing.ts";
import {
  acceptedUntil,
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
