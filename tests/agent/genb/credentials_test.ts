/**
 * The App path against the fake identity API and DDS: a token bound to the
 * peer and domain, the 401 restart with a new service bearer, and clear
 * errors for a domain not accessible, bad credentials, an unreachable
 * service and garbage answers.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { AuthHttpError, serviceUrl } from "../../../agent/genb/auth_http.ts";
import { Authority } from "../../../agent/genb/authority.ts";
import {
  checkAppCredentials,
  CredentialsClient,
} from "../../../agent/genb/credentials.ts";
import { KeyRing } from "../../../agent/genb/key_ring.ts";
import { FakeAukiServices } from "../../../scripts/harness/fake_auki_services.ts";
import { DOMAIN } from "./_genb.ts";

async function withFake(
  fn: (
    fake: FakeAukiServices,
    client: CredentialsClient,
    peerId: string,
  ) => Promise<void>,
  secret?: string,
): Promise<void> {
  const fake = await FakeAukiServices.start();
  fake.domains.add(DOMAIN);
  const key = await generateKeyPair("Ed25519");
  const peerId = peerIdFromPrivateKey(key).toString();
  const client = new CredentialsClient({
    services: { api: fake.url, dds: fake.url },
    credentials: { appKey: fake.app.key, appSecret: secret ?? fake.app.secret },
    key,
    peerId,
    domainId: DOMAIN,
  });
  try {
    await fn(fake, client, peerId);
  } finally {
    await fake.stop();
  }
}

function failure(kind: string, pattern: RegExp) {
  return (error: AuthHttpError) => {
    assert.ok(error instanceof AuthHttpError, String(error));
    assert.equal(error.failure, kind, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

Deno.test("credentials: the app path yields a token for this peer and domain", async () => {
  await withFake(async (fake, client, peerId) => {
    const ring = new KeyRing();
    await ring.install(await client.verificationKeys());
    const authority = new Authority({ domainId: DOMAIN, peerId, keys: ring });
    const issued = await client.p2pToken();
    const claims = await authority.install(issued.token);
    assert.equal(claims.peer_id, peerId);
    assert.deepEqual(claims.domain_ids, [DOMAIN]);
    assert.equal(new Date(claims.exp * 1000).toISOString(), issued.expiresAt);
    assert.deepEqual(fake.calls, [
      "GET /service/p2p-verification-keys",
      "POST /service/domains-access-token",
      `POST /api/v1/domains/${DOMAIN}/p2p/challenge`,
      `POST /api/v1/domains/${DOMAIN}/p2p/verify`,
    ]);
  });
});

Deno.test("credentials: a 401 refreshes the service bearer and starts again", async () => {
  await withFake(async (fake, client) => {
    await client.p2pToken();
    fake.revokeServiceTokens();
    await client.p2pToken();
    assert.equal(fake.count("domains-access-token"), 2);
    assert.equal(fake.count("p2p/challenge"), 3);
    // A 401 on verify also starts again from the challenge.
    fake.failNext.set("p2p/verify", 401);
    await client.p2pToken();
    assert.equal(fake.count("domains-access-token"), 3);
  });
});

Deno.test("credentials: 404, bad credentials, unreachable and garbage fail clearly", async () => {
  await withFake(async (fake, client) => {
    fake.domains.clear();
    await assert.rejects(
      client.p2pToken(),
      failure("not_found", new RegExp(`domain ${DOMAIN} is not accessible`)),
    );
    fake.domains.add(DOMAIN);
    fake.failNext.set("p2p/challenge", "garbage");
    await assert.rejects(
      client.p2pToken(),
      failure("bad_response", /DDS p2p\/challenge: unexpected answer/),
    );
    fake.failNext.set("p2p/challenge", 503);
    const error = await client.p2pToken().catch((e) => e);
    assert.ok(error instanceof AuthHttpError && error.transient);
  });
  await withFake(async (_fake, client) => {
    await assert.rejects(
      client.p2pToken(),
      failure("unauthorized", /refused app key test-app/),
    );
  }, "wrong-secret");
  const unreachable = new CredentialsClient({
    services: { api: "http://127.0.0.1:9/", dds: "http://127.0.0.1:9/" },
    credentials: { appKey: "k", appSecret: "s" },
    key: await generateKeyPair("Ed25519"),
    peerId: "p",
    domainId: DOMAIN,
  });
  await assert.rejects(
    unreachable.p2pToken(),
    failure("unreachable", /cannot reach http:\/\/127\.0\.0\.1:9/),
  );
});

Deno.test("credentials: service URLs and app credentials are checked", () => {
  assert.equal(
    serviceUrl("https://dds.example", "--dds"),
    "https://dds.example/",
  );
  assert.equal(
    serviceUrl("http://127.0.0.1:8/x", "--dds"),
    "http://127.0.0.1:8/x/",
  );
  assert.throws(
    () => serviceUrl("http://dds.example", "--dds"),
    /--dds: .* must use https/,
  );
  assert.throws(
    () => serviceUrl("nope", "--auth-api"),
    /--auth-api: "nope" is not a URL/,
  );
  assert.throws(
    () => checkAppCredentials({ appKey: "a:b", appSecret: "s" }),
    /without ':'/,
  );
  assert.throws(
    () => checkAppCredentials({ appKey: "a", appSecret: "" }),
    /1-1024 bytes/,
  );
});
