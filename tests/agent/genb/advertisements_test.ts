/**
 * DDS advertisements against the fake services: a 401 on publication or
 * withdrawal renews the token now and the call is made again with it (a
 * renewed token refused again is not renewed again); without a renewal
 * the 401 is logged and the next period tries again.
 */
import assert from "node:assert/strict";
import { Advertiser } from "../../../agent/genb/advertisements.ts";
import type { Authority } from "../../../agent/genb/authority.ts";
import type { RenewToken } from "../../../agent/genb/bearer_call.ts";
import { AUTH_PROTOCOLS } from "../../../agent/genb/ids.ts";
import type { FakeAukiServices } from "../../../scripts/harness/fake_auki_services.ts";
import type { MemoryLogger } from "../../helpers/logger.ts";
import { until } from "../../helpers/wait.ts";
import { withSupervised } from "./_genb.ts";

const ROUTE = "/ip4/127.0.0.1/tcp/4001";

/** An advertiser of {@link ROUTE} with the gen-B protocols to `fake`'s DDS. */
function advertiserOf(
  fake: FakeAukiServices,
  authority: Authority,
  logger: MemoryLogger,
  options: { renew?: RenewToken; renewMs?: number },
): Advertiser {
  return new Advertiser({
    dds: fake.url,
    authority,
    routes: () => [ROUTE],
    protocols: AUTH_PROTOCOLS,
    logger,
    ...options,
  });
}

Deno.test("advertisements: a DDS 401 renews the token now and publishes with the new one, once", async () => {
  await withSupervised(async (fake, supervisor, authority, logger) => {
    await supervisor.ready;
    const first = authority.localToken();
    const advertiser = advertiserOf(fake, authority, logger, {
      renew: (rejected, reason) => supervisor.renewNow(rejected, reason),
    });
    fake.failNext.set("advertisements/self", 401);
    advertiser.start();
    await until(
      () => fake.advertisements.has(authority.peerId),
      "the advertisement",
      5_000,
    );
    assert.deepEqual(fake.advertisements.get(authority.peerId)!.routes, [
      ROUTE,
    ]);
    assert.notEqual(authority.localToken(), first);
    assert.equal(fake.count("p2p/verify"), 2);
    assert.equal(fake.count("PUT /api"), 2);
    assert.deepEqual(logger.messages("WARN"), []);
    // The renewed token refused as well: no second renewal, the withdrawal
    // fails and says so.
    fake.failNext.set("advertisements/self", 401);
    await advertiser.stop();
    assert.equal(fake.count("p2p/verify"), 2);
    assert.ok(
      logger.messages("WARN").some((m) =>
        /withdrawing the DDS advertisement: .*HTTP 401/.test(m)
      ),
      logger.lines.join("\n"),
    );
  });
});

Deno.test("advertisements: a DDS 401 on the withdrawal renews the token and withdraws with the new one", async () => {
  await withSupervised(async (fake, supervisor, authority, logger) => {
    await supervisor.ready;
    const advertiser = advertiserOf(fake, authority, logger, {
      renew: (rejected, reason) => supervisor.renewNow(rejected, reason),
    });
    advertiser.start();
    await until(
      () => fake.advertisements.has(authority.peerId),
      "the advertisement",
      5_000,
    );
    fake.failNext.set("advertisements/self", 401);
    await advertiser.stop();
    assert.equal(fake.advertisements.has(authority.peerId), false);
    assert.equal(fake.count("p2p/verify"), 2);
    assert.equal(fake.count("DELETE /api"), 2);
    assert.deepEqual(logger.messages("WARN"), []);
  });
});

Deno.test("advertisements: without a renewal a DDS 401 is logged and retried at the next period", async () => {
  await withSupervised(async (fake, supervisor, authority, logger) => {
    await supervisor.ready;
    const advertiser = advertiserOf(fake, authority, logger, {
      renewMs: 200,
    });
    fake.failNext.set("advertisements/self", 401);
    advertiser.start();
    await until(
      () => fake.advertisements.has(authority.peerId),
      "the advertisement",
      5_000,
    );
    assert.equal(fake.count("p2p/verify"), 1);
    assert.ok(
      logger.messages("WARN").some((m) =>
        /DDS advertisement not published: .*HTTP 401/.test(m)
      ),
      logger.lines.join("\n"),
    );
    await advertiser.stop();
  });
});
