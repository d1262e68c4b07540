/**
 * p2p-access token verification (spec genb.md 2.4) with a test DDS key:
 * every rule refuses with its reason, tokens with and without
 * `organization_id` pass, opaque `sub` passes for users only.
 */
import assert from "node:assert/strict";
import { Authority } from "../../../agent/genb/authority.ts";
import { parseToken, TokenError } from "../../../agent/genb/token.ts";
import {
  claimsFor,
  keyDocument,
  newSigningKey,
  signToken,
} from "../../../scripts/harness/genb_tokens.ts";
import { DOMAIN, ringOf, TestClock } from "./_genb.ts";

const PEER = "12D3KooWMxnBignL5KrLCJUdjEDEUNQo2r9WB9YxQjGp1JeFHJzY";
const NOW_S = 1_800_000_000;

async function setup() {
  const key = await newSigningKey();
  const clock = new TestClock(NOW_S * 1000);
  const authority = new Authority(
    { domainId: DOMAIN, peerId: "self", keys: await ringOf(clock, key.pem) },
    clock.now,
  );
  const token = (extra: Record<string, unknown> = {}, iat = NOW_S - 10) =>
    signToken(claimsFor(PEER, DOMAIN, iat, extra), key.privateKey);
  return { key, clock, authority, token };
}

async function refused(
  authority: Authority,
  token: string,
  reason: string,
  peer = PEER,
): Promise<void> {
  await assert.rejects(
    authority.verifyPeer(token, peer),
    (error: TokenError) => {
      assert.ok(error instanceof TokenError, String(error));
      assert.equal(error.reason, reason, error.message);
      return true;
    },
  );
}

Deno.test("token: a valid token passes with and without organization_id", async () => {
  const { authority, token } = await setup();
  const plain = await authority.verifyPeer(await token(), PEER);
  assert.equal(plain.peer_id, PEER);
  const withOrg = await authority.verifyPeer(
    await token({ organization_id: "11111111-2222-4333-8444-555555555555" }),
    PEER,
  );
  assert.equal(withOrg.organization_id, "11111111-2222-4333-8444-555555555555");
  await refused(authority, await token({ organization_id: "nope" }), "claims");
});

Deno.test("token: opaque sub only for users; free-form peer_type is diagnostic", async () => {
  const { authority, token } = await setup();
  const user = await token({ sub: "zitadel|12345", peer_type: "user" });
  assert.equal((await authority.verifyPeer(user, PEER)).sub, "zitadel|12345");
  await refused(authority, await token({ sub: "zitadel|12345" }), "claims");
  await authority.verifyPeer(await token({ peer_type: "test" }), PEER);
});

Deno.test("token: binding, time and shape rules refuse with their reason", async () => {
  const { key, clock, authority, token } = await setup();
  await refused(authority, await token(), "wrong_peer", "12D3KooWother");
  await refused(
    authority,
    await token({ domain_ids: ["00000000-0000-4000-8000-000000000000"] }),
    "wrong_domain",
  );
  await refused(authority, await token({}, NOW_S - 1800), "expired");
  await refused(authority, await token({}, NOW_S + 61), "not_yet_valid");
  await authority.verifyPeer(await token({}, NOW_S + 60), PEER);
  await refused(authority, await token({ nbf: NOW_S + 61 }), "not_yet_valid");
  await refused(authority, await token({ exp: NOW_S + 3600 }), "claims");
  await refused(authority, await token({ aud: ["other"] }), "claims");
  await refused(authority, await token({ iss: "idp" }), "claims");
  await refused(authority, await token({ extra: 1 }), "claims");
  await refused(
    authority,
    await token({ domain_ids: [DOMAIN, DOMAIN] }),
    "claims",
  );
  await refused(authority, "", "empty");
  await refused(authority, "a.b", "malformed");
  const other = await newSigningKey();
  await refused(
    authority,
    await signToken(claimsFor(PEER, DOMAIN, NOW_S), other.privateKey),
    "unknown_key",
  );
  // Literal exp: valid one second before, refused at it.
  const t = await token({}, NOW_S - 1799);
  await authority.verifyPeer(t, PEER);
  clock.ms += 1000;
  await refused(authority, t, "expired");
  assert.ok(key.id.length === 64);
});

Deno.test("token: header must be ES256", async () => {
  const { token } = await setup();
  const parts = (await token()).split(".");
  const none = btoa('{"alg":"none"}').replace(/=+$/, "");
  assert.throws(
    () => parseToken(`${none}.${parts[1]}.${parts[2]}`),
    (e: TokenError) => e.reason === "header",
  );
});

Deno.test("token: own token is offered until its literal exp, then refused until renewal", async () => {
  const key = await newSigningKey();
  const clock = new TestClock(NOW_S * 1000);
  const authority = new Authority(
    { domainId: DOMAIN, peerId: PEER, keys: await ringOf(clock, key.pem) },
    clock.now,
  );
  const first = await signToken(
    claimsFor(PEER, DOMAIN, NOW_S - 1000),
    key.privateKey,
  );
  await authority.install(first);
  assert.equal(authority.localToken(), first);
  clock.ms = (NOW_S + 800) * 1000;
  assert.equal(authority.localToken(), "");
  const renewed = await signToken(
    claimsFor(PEER, DOMAIN, NOW_S + 700),
    key.privateKey,
  );
  await authority.install(renewed);
  assert.equal(authority.localToken(), renewed);
  // An older token does not replace a newer one.
  await assert.rejects(authority.install(first), TokenError);
  assert.equal(authority.localToken(), renewed);
});

Deno.test("token: a remembered signature is dropped when the key ring rotates the key out", async () => {
  const { clock, authority, token } = await setup();
  const t = await token();
  await authority.verifyPeer(t, PEER);
  await authority.verifyPeer(t, PEER); // from the cache
  await refused(authority, t, "wrong_peer", "12D3KooWother");
  // Stale keys refuse even a remembered token.
  clock.ms += 61 * 60 * 1000;
  await assert.rejects(authority.verifyPeer(t, PEER), /not refreshed/);
  // A new generation without the signing key: the token no longer verifies.
  const other = await newSigningKey();
  await authority.keys.install(await keyDocument(2, other.pem), clock.ms);
  clock.ms = (NOW_S + 10) * 1000;
  await refused(authority, t, "unknown_key");
});
