/**
 * `auki-edge peers` against the fake identity API and DDS: a listing DDS
 * refuses once with a 401 fetches a fresh p2p-access token and is asked
 * once more; a listing refused again ends with one line saying so (exit
 * 1) after exactly one retry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../../cli/main.ts";
import {
  authFlags,
  FakeAukiServices,
} from "../../../scripts/harness/fake_auki_services.ts";
import { MemoryOutput } from "../../helpers/output.ts";
import { withDir } from "../../helpers/temp_dir.ts";
import { DOMAIN } from "../../agent/genb/_genb.ts";

/** A peer advertising itself in the fake DDS. */
const OTHER = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
const LISTING = `GET /api/v1/domains/${DOMAIN}/p2p/advertisements`;

/** Runs `auki-edge peers` in this process against `fake`, capturing what it prints. */
async function peers(fake: FakeAukiServices, dir: string) {
  const secret = join(dir, "app.secret");
  await Deno.writeTextFile(secret, `${fake.app.secret}\n`, { mode: 0o600 });
  const output = new MemoryOutput();
  const code = await main([
    "peers",
    ...authFlags(fake, DOMAIN, secret),
  ], output);
  return { code, stdout: output.stdout, stderr: output.stderr };
}

/** Runs `work` with the fake services knowing {@link DOMAIN} and one advertisement of {@link OTHER}. */
async function withFake(
  work: (fake: FakeAukiServices, dir: string) => Promise<void>,
): Promise<void> {
  const fake = await FakeAukiServices.start();
  fake.domains.add(DOMAIN);
  fake.advertisements.set(OTHER, {
    peer_id: OTHER,
    routes: ["/ip4/10.0.0.7/tcp/4001"],
    protocols: ["/auki/auth/1/stream/0.2.0"],
    expires_at: new Date(Date.now() + 120_000).toISOString(),
  });
  try {
    await withDir((dir) => work(fake, dir), "auki-edge-peers-");
  } finally {
    await fake.stop();
  }
}

const listings = (fake: FakeAukiServices) =>
  fake.calls.filter((c) => c === LISTING).length;

Deno.test("peers: a 401 from DDS fetches a fresh token and lists once more", async () => {
  await withFake(async (fake, dir) => {
    fake.failNext.set("/p2p/advertisements", 401);
    const result = await peers(fake, dir);
    assert.equal(result.code, 0, result.stderr.join("\n"));
    assert.match(result.stdout.join("\n"), new RegExp(`^${OTHER}\\s`, "m"));
    assert.equal(listings(fake), 2);
    assert.equal(fake.count("/p2p/verify"), 2, "a second token was issued");
  });
});

Deno.test("peers: a listing refused after the renewal too ends with one line", async () => {
  await withFake(async (fake, dir) => {
    fake.failing.set("/p2p/advertisements", 401);
    const result = await peers(fake, dir);
    assert.equal(result.code, 1);
    assert.deepEqual(result.stdout, []);
    assert.equal(result.stderr.length, 1);
    assert.doesNotMatch(result.stderr[0], /\n/);
    assert.match(
      result.stderr[0],
      new RegExp(
        `^auki-edge peers: DDS refused the p2p-access token for domain ${DOMAIN} and a freshly issued one too \\(DDS GET /api/v1/domains/${DOMAIN}/p2p/advertisements: HTTP 401 injected\\)$`,
      ),
    );
    assert.equal(listings(fake), 2, "exactly one retry");
    assert.equal(fake.count("/p2p/verify"), 2);

    fake.failing.delete("/p2p/advertisements");
    const cleared = await peers(fake, dir);
    assert.equal(cleared.code, 0, cleared.stderr.join("\n"));
    assert.equal(listings(fake), 3);
    assert.equal(fake.count("/p2p/verify"), 3, "no renewal without a 401");
  });
});
