/**
 * The supervisor against the fake services: the first token and keys,
 * renewal at 75 % of the lifetime (tokens backdated to bring it near), a
 * key rotation picked up, failures retried with backoff and logged
 * without ending anything, and renewals forced by a service's 401: shared
 * by the callers, at most one per token.
 */
import assert from "node:assert/strict";
import { until } from "../../helpers/wait.ts";
import { DOMAIN, withSupervised } from "./_genb.ts";

Deno.test("supervisor: renews at 75 % of the lifetime", async () => {
  await withSupervised(async (fake, supervisor, authority) => {
    // Issued 1349 s ago: renewal (at 1350 s) is due within a second.
    fake.tokenAgeS = 1349;
    await supervisor.ready;
    const first = authority.claims!;
    fake.tokenAgeS = 0;
    await until(
      () => authority.claims!.iat > first.iat,
      "the renewed token",
      5_000,
    );
    assert.ok(authority.localToken() !== "");
    assert.equal(fake.count("domains-access-token"), 1);
    assert.equal(fake.count("p2p/verify"), 2);
    const renewAt = supervisor.renewAt() / 1000;
    assert.equal(renewAt, authority.claims!.iat + 1350);
  });
});

Deno.test("supervisor: failures are retried with backoff and logged, then recover", async () => {
  await withSupervised(async (fake, supervisor, authority, logger) => {
    fake.domains.clear();
    await until(
      () => fake.count("p2p/challenge") >= 3,
      "three attempts",
      5_000,
    );
    assert.equal(authority.localToken(), "");
    const line = logger.lines.find((l) => l.includes("not accessible"));
    assert.ok(line, logger.lines.join("\n"));
    assert.match(
      line,
      /retrying in \d+ s; gen-B streams are refused until a token is issued/,
    );
    fake.domains.add(DOMAIN);
    await supervisor.ready;
    assert.notEqual(authority.localToken(), "");
  });
});

Deno.test("supervisor: a key rotation is picked up at the next refresh", async () => {
  await withSupervised(async (fake, supervisor, authority) => {
    await supervisor.ready;
    await fake.rotate();
    await until(() => authority.keys.generation === 2, "generation 2", 5_000);
    assert.equal(authority.keys.keys().length, 2);
  }, { keyRefreshMs: 200 });
});

Deno.test("supervisor: a token past its 75 % mark on arrival is renewed at a bounded pace, not in a loop", async () => {
  await withSupervised(
    async (fake, supervisor) => {
      // Every token arrives 1700 s old: past the 1350 s mark, 100 s to live.
      fake.tokenAgeS = 1700;
      await supervisor.ready;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const renewals = fake.count("p2p/verify");
      assert.ok(renewals >= 2 && renewals <= 4, `${renewals} tokens in 1.2 s`);
    },
    { keyRefreshMs: 60_000, minRenewMs: 400 },
  );
});

Deno.test("supervisor: a 401 renews the token now, once for every caller; a token a forced renewal gave is not renewed again", async () => {
  await withSupervised(async (fake, supervisor, authority, logger) => {
    await supervisor.ready;
    const first = authority.localToken();
    // DMS and DDS refusing the same token at once share one renewal.
    assert.deepEqual(
      await Promise.all([
        supervisor.renewNow(first, "DMS POST /relay-bookings: HTTP 401"),
        supervisor.renewNow(first, "DDS PUT /advertisements/self: HTTP 401"),
      ]),
      [true, true],
    );
    assert.equal(fake.count("p2p/verify"), 2);
    const second = authority.localToken();
    assert.notEqual(second, first);
    // A late refusal of the old token: the newer one is there already.
    assert.equal(await supervisor.renewNow(first, "late"), true);
    // The fresh token refused too: no renewal chain.
    assert.equal(await supervisor.renewNow(second, "DMS: HTTP 401"), false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(fake.count("p2p/verify"), 2);
    assert.equal(authority.localToken(), second);
    assert.equal(
      logger.messages("INFO").filter((m) =>
        m.endsWith("renewing the p2p-access token now")
      ).length,
      1,
      logger.lines.join("\n"),
    );
  });
});

Deno.test("supervisor: a forced renewal that fails is not forced again for the same token", async () => {
  await withSupervised(async (fake, supervisor, authority) => {
    await supervisor.ready;
    const first = authority.localToken();
    fake.domains.clear();
    assert.equal(await supervisor.renewNow(first, "DMS: HTTP 401"), false);
    const challenges = fake.count("p2p/challenge");
    assert.equal(challenges, 2);
    assert.equal(await supervisor.renewNow(first, "DMS: HTTP 401"), false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(fake.count("p2p/challenge"), challenges);
    assert.equal(authority.localToken(), first);
  });
});
