/**
 * End to end in gen-B mode: an `auki-edge run --domain ...` process against
 * the fake API/DDS obtains its token, serves the authenticated protocols
 * and advertises itself; consumers with valid, wrong-domain, wrong-peer,
 * expired and missing tokens; `catalog` and `peers` with the auth flags;
 * the advertisement withdrawn at shutdown; bad flags refused; a DMS relay
 * booking on a real relay, reached by `catalog` through the circuit.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { Authority } from "../../agent/genb/authority.ts";
import {
  openAuthenticated,
  requestAuthResources,
} from "../../agent/genb/client.ts";
import { Subscription } from "../../agent/protocols/stream_consumer.ts";
import { HandshakeError } from "../../agent/genb/handshake.ts";
import { AUTH_PROTOCOLS, AUTH_STREAM } from "../../agent/genb/ids.ts";
import { KeyRing } from "../../agent/genb/key_ring.ts";
import { withClient } from "../../cli/client.ts";
import { runCli, startAgent } from "../../scripts/harness/agent_process.ts";
import { freePort, startRelay } from "../../scripts/harness/cluster.ts";
import { multiaddr } from "@multiformats/multiaddr";
import {
  authFlags,
  FakeAukiServices,
} from "../../scripts/harness/fake_auki_services.ts";
import {
  claimsFor,
  keyDocument,
  signToken,
} from "../../scripts/harness/genb_tokens.ts";
import { until } from "../helpers/wait.ts";
import { SMALL_SIMS } from "./_helpers.ts";

const DOMAIN = "de66fdf4-a830-4017-95dd-5741c30a6d0f";

async function secretFile(dir: string, secret: string, mode = 0o600) {
  const path = join(dir, "app.secret");
  await Deno.writeTextFile(path, `${secret}\n`, { mode });
  await Deno.chmod(path, mode);
  return path;
}

/**
 * Fake services admitting {@link DOMAIN}, a temporary directory and the
 * app secret file in it.
 */
async function startServices(): Promise<
  { fake: FakeAukiServices; dir: string; secret: string }
> {
  const fake = await FakeAukiServices.start();
  fake.domains.add(DOMAIN);
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-genb-" });
  const secret = await secretFile(dir, fake.app.secret);
  return { fake, dir, secret };
}

/**
 * An authority for the consumer `node` in `domainId` (the agent's by
 * default) holding a token the fake DDS signed now.
 */
async function consumerAuthority(
  node: Libp2p,
  fake: FakeAukiServices,
  domainId = DOMAIN,
): Promise<Authority> {
  const ring = new KeyRing();
  await ring.install(await keyDocument(1, fake.key.pem));
  const me = node.peerId.toString();
  const authority = new Authority({ domainId, peerId: me, keys: ring });
  await authority.install(
    await signToken(
      claimsFor(me, domainId, Math.floor(Date.now() / 1000)),
      fake.key.privateKey,
    ),
  );
  return authority;
}

function authArgs(
  fake: { url: string; app: { key: string } },
  secret: string,
): string[] {
  return authFlags(fake, DOMAIN, secret);
}

Deno.test("e2e genb: token, authenticated catalog, bad tokens refused, advertisement, peers", async () => {
  const { fake, dir, secret } = await startServices();
  const agent = await startAgent({
    config: SMALL_SIMS,
    args: [...authArgs(fake, secret), "--advertise", "--dms", fake.url],
  });
  try {
    await agent.waitForStderr("p2p-access token for domain");
    await agent.waitForStderr("is not used without --relay-booking");
    // Valid consumer: the catalog over /auki/auth/1/resources/0.2.0.
    await withClient(async (node) => {
      const me = node.peerId.toString();
      const ring = new KeyRing();
      const authorityWith = async (claims: Record<string, unknown>) => {
        const authority = new Authority({
          domainId: DOMAIN,
          peerId: me,
          keys: ring,
        });
        const token = await signToken(claims, fake.key.privateKey);
        authority.localToken = () => token;
        authority.localExpiry = () => Number.MAX_SAFE_INTEGER;
        return authority;
      };
      await ring.install(await keyDocument(1, fake.key.pem));
      const now = Math.floor(Date.now() / 1000);
      const good = await authorityWith(claimsFor(me, DOMAIN, now));
      const rows = await requestAuthResources(node, agent.address, good);
      const ids = rows.map((r) => r.resource_id);
      for (const id of ["sim_camera", "sim_joints", "sim_lidar", "sim_uwb"]) {
        assert.ok(ids.includes(id), ids.join(", "));
      }
      const bad: Record<string, Record<string, unknown>> = {
        wrong_domain: claimsFor(
          me,
          "00000000-0000-4000-8000-00000000000b",
          now,
        ),
        wrong_peer: claimsFor(agent.peerId, DOMAIN, now),
        expired: claimsFor(me, DOMAIN, now - 1800),
      };
      for (const [name, claims] of Object.entries(bad)) {
        await assert.rejects(
          requestAuthResources(
            node,
            agent.address,
            await authorityWith(claims),
          ),
          (e: HandshakeError) =>
            e instanceof HandshakeError && e.reason === "refused",
          name,
        );
      }
      const missing = await authorityWith({});
      missing.localToken = () => "";
      await assert.rejects(
        requestAuthResources(node, agent.address, missing),
        HandshakeError,
      );
      await agent.waitForStderr(
        /refused \/auki\/auth\/1\/resources\/0\.2\.0 from/,
      );
      // Still serving.
      assert.ok(
        (await requestAuthResources(node, agent.address, good)).length > 0,
      );
    });
    // The advertisement, and the CLI consumers with the auth flags.
    await until(
      () => fake.advertisements.has(agent.peerId),
      "the advertisement",
    );
    const ad = fake.advertisements.get(agent.peerId)!;
    assert.deepEqual(ad.protocols, [...AUTH_PROTOCOLS]);
    assert.ok(ad.routes.some((r) => r.startsWith("/ip4/127.0.0.1/tcp/")));
    const catalog = await runCli([
      "catalog",
      agent.address.toString(),
      "--json",
      ...authArgs(fake, secret),
    ]);
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.match(catalog.stdout, /"resource_id":"sim_camera"/);
    const subscribe = await runCli([
      "subscribe",
      agent.address.toString(),
      "sim_joints",
      "--count",
      "3",
      ...authArgs(fake, secret),
    ]);
    assert.equal(subscribe.code, 0, subscribe.stderr);
    assert.equal(subscribe.stdout.trim().split("\n").length, 3);
    assert.match(subscribe.stdout, /seq=/);
    const peers = await runCli(["peers", "--json", ...authArgs(fake, secret)]);
    assert.equal(peers.code, 0, peers.stderr);
    assert.equal(
      JSON.parse(peers.stdout).advertisements[0].peer_id,
      agent.peerId,
    );
  } finally {
    assert.equal(await agent.stop(), 0);
    await fake.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(fake.advertisements.size, 0, "withdrawn at shutdown");
  assert.ok(fake.calls.some((c) => c.startsWith("DELETE ")));
});

Deno.test("e2e genb: mixed cluster and domain flags, a shared secret file, relay booking without DMS and a missing flag are usage errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-genb-" });
  try {
    const fake = { url: "http://127.0.0.1:9/", app: { key: "k" } };
    const secret = await secretFile(dir, "s");
    const args = authArgs(fake, secret);
    const mixed = await runCli([
      "run",
      "--storage",
      dir,
      ...args,
      "--cluster",
      "x",
      "--discovery",
      "http://127.0.0.1:9",
    ]);
    assert.equal(mixed.code, 2, mixed.stderr);
    assert.match(mixed.stderr, /cannot be mixed/);
    const target = "/ip4/127.0.0.1/tcp/9/p2p/" +
      "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
    const cluster = ["--cluster", "x", "--discovery", "http://127.0.0.1:9"];
    const clients = await Promise.all([
      runCli(["catalog", target, ...args, ...cluster]),
      runCli(["subscribe", target, "sim_joints", ...args, ...cluster]),
      runCli([
        "export",
        join(dir, "out.mcap"),
        "--peer",
        target,
        ...args,
        ...cluster,
      ]),
    ]);
    for (const [i, command] of ["catalog", "subscribe", "export"].entries()) {
      assert.equal(clients[i].code, 2, clients[i].stderr);
      assert.equal(
        clients[i].stderr,
        `auki-edge ${command}: --domain: cluster flags and domain flags cannot be mixed\n`,
      );
    }
    const booking = await runCli([
      "run",
      "--storage",
      dir,
      ...args,
      "--relay-booking",
    ]);
    assert.equal(booking.code, 2, booking.stderr);
    assert.match(
      booking.stderr,
      /--relay-booking: relay booking needs a DMS URL/,
    );
    const shared = await secretFile(dir, "s", 0o644);
    const open = await runCli([
      "run",
      "--storage",
      dir,
      ...args.slice(0, -1),
      shared,
    ]);
    assert.equal(open.code, 2, open.stderr);
    assert.match(
      open.stderr,
      /--app-secret-file: app secret file .*\(mode 0644\); run: chmod 600/,
    );
    const partial = await runCli(["peers", "--domain", DOMAIN]);
    assert.equal(partial.code, 2, partial.stderr);
    assert.match(
      partial.stderr,
      /missing --auth-api, --dds, --app-key, --app-secret-file/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e genb: a subscription stays open across the agent's token expiry and renewals", async () => {
  const { fake, dir, secret } = await startServices();
  // Every token the agent gets has 4 s left: it expires and is renewed
  // (halfway to expiry) several times while the stream is open.
  fake.tokenAgeS = 1796;
  const agent = await startAgent({
    config: SMALL_SIMS,
    args: authArgs(fake, secret),
  });
  try {
    await withClient(async (node) => {
      const authority = await consumerAuthority(node, fake);
      const firstVerify = fake.count("p2p/verify");
      const subscription = await Subscription.open(
        node,
        agent.address,
        { resourceId: "sim_joints" },
        {
          openStream: (signal) =>
            openAuthenticated(node, agent.address, AUTH_STREAM, authority, {
              signal,
            }),
        },
      );
      let received = 0;
      let lasted = false;
      const started = Date.now();
      for await (const _ of subscription.entries()) {
        received++;
        if (Date.now() - started > 7_000) {
          lasted = true;
          break;
        }
      }
      assert.ok(
        lasted,
        `the stream ended: ${JSON.stringify(subscription.end)}`,
      );
      assert.ok(received > 100, `${received} entries in 7 s`);
      assert.ok(
        fake.count("p2p/verify") >= firstVerify + 2,
        "the agent renewed its token while the stream was open",
      );
      // New streams are accepted with the renewed token.
      const rows = await requestAuthResources(node, agent.address, authority);
      assert.ok(rows.length > 0);
    });
  } finally {
    assert.equal(await agent.stop(), 0);
    await fake.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e genb: an agent reachable only through a relay serves over the limited relayed connection", async () => {
  const { fake, dir, secret } = await startServices();
  // Limits make every relayed connection a limited one.
  const relay = await startRelay(dir, {
    port: freePort(),
    args: ["--max-data", "100000000", "--max-duration", "120"],
  });
  try {
    const agent = await startAgent({
      config: SMALL_SIMS,
      args: [...authArgs(fake, secret), "--relay", relay.address],
    });
    try {
      const circuit = multiaddr(
        `${relay.address}/p2p-circuit/p2p/${agent.peerId}`,
      );
      await withClient(async (node) => {
        const authority = await consumerAuthority(node, fake);
        const rows = await requestAuthResources(node, circuit, authority);
        assert.ok(rows.some((r) => r.resource_id === "sim_joints"));
        const toAgent = node.getConnections().filter((c) =>
          c.remotePeer.toString() === agent.peerId
        );
        assert.ok(
          toAgent.some((c) =>
            c.remoteAddr.toString().includes("/p2p-circuit") &&
            c.limits !== undefined
          ),
          toAgent.map((c) => `${c.remoteAddr} ${JSON.stringify(c.limits)}`)
            .join(", "),
        );
      });
    } finally {
      await agent.stop();
    }
  } finally {
    await relay.stop();
    await fake.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e genb: --relay-booking reserves the booked slot on a real admitting relay, advertises the circuit, consumers are admitted, the booking is deleted at shutdown", async () => {
  const { fake, dir, secret } = await startServices();
  // A relay admitting the domain's peers only (genb.md 1.4).
  const relay = await startRelay(dir, {
    port: freePort(),
    args: [
      "--max-data",
      "100000000",
      "--max-duration",
      "120",
      "--domain",
      DOMAIN,
      "--dds",
      fake.url,
    ],
  });
  // The first slot points at a relay nobody runs: reported, then reassigned.
  const nobody = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  // js-libp2p relays announce their duration in ms in the seconds field
  // (decision 106): the slot states what the relay announces.
  const limits = { duration_seconds: 120_000, data_bytes_per_direction: 1e8 };
  const base = (address: string) => address.replace(/\/p2p\/[^/]+$/, "");
  fake.dms.providers = [
    {
      peerId: nobody.toString(),
      bases: [`/ip4/127.0.0.1/tcp/${freePort()}`],
      limits,
    },
    { peerId: relay.peerId, bases: [base(relay.address)], limits },
  ];
  try {
    const agent = await startAgent({
      config: SMALL_SIMS,
      args: [
        ...authArgs(fake, secret),
        "--dms",
        fake.url,
        "--relay-booking",
        "--advertise",
      ],
    });
    const circuit = `${relay.address}/p2p-circuit/p2p/${agent.peerId}`;
    try {
      await agent.waitForStderr(/relay slot .*: dial_failed/, 30_000);
      // Still serving directly while the booking goes on.
      const direct = await runCli([
        "catalog",
        agent.address.toString(),
        "--json",
        ...authArgs(fake, secret),
      ]);
      assert.equal(direct.code, 0, direct.stderr);
      await until(
        () => !!fake.advertisements.get(agent.peerId)?.routes.includes(circuit),
        `the advertised circuit ${circuit}`,
        30_000,
      );
      assert.deepEqual(fake.dms.failures.map((f) => f.reason), [
        "dial_failed",
      ]);
      const relayed = await runCli([
        "catalog",
        circuit,
        "--json",
        ...authArgs(fake, secret),
      ]);
      assert.equal(relayed.code, 0, relayed.stderr);
      assert.match(relayed.stdout, /"resource_id":"sim_joints"/);
      const subscribed = await runCli([
        "subscribe",
        circuit,
        "sim_joints",
        "--count",
        "3",
        ...authArgs(fake, secret),
      ]);
      assert.equal(subscribed.code, 0, subscribed.stderr);
      assert.equal(subscribed.stdout.trim().split("\n").length, 3);
      // Without admission the relay refuses the circuit; a token of
      // another domain is refused admission.
      await withClient(async (node) => {
        await assert.rejects(node.dial(multiaddr(circuit)));
        const authority = await consumerAuthority(
          node,
          fake,
          "00000000-0000-4000-8000-00000000000b",
        );
        await assert.rejects(
          requestAuthResources(node, multiaddr(circuit), authority),
          /the relay refused admission/,
        );
      });
      assert.match(relay.stderr(), /not admitted/);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
    assert.equal(fake.dms.bookings.size, 1);
    assert.deepEqual(fake.dms.deleted, [...fake.dms.bookings.keys()]);
  } finally {
    await relay.stop();
    await fake.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e genb: with --listen none --relay-booking the ready file waits for the booked circuit; status, the status file and /metrics show the booking", async () => {
  const { fake, dir, secret } = await startServices();
  const relay = await startRelay(dir, {
    port: freePort(),
    args: ["--max-data", "100000000", "--max-duration", "120"],
  });
  fake.dms.providers = [{
    peerId: relay.peerId,
    bases: [relay.address.replace(/\/p2p\/[^/]+$/, "")],
    // js-libp2p relays announce their duration in ms (decision 106).
    limits: { duration_seconds: 120_000, data_bytes_per_direction: 1e8 },
  }];
  // The first create is refused: the token is renewed and it is made again.
  fake.failNext.set("relay-bookings", 401);
  try {
    const agent = await startAgent({
      config: SMALL_SIMS,
      listen: "none",
      args: [...authArgs(fake, secret), "--dms", fake.url, "--relay-booking"],
    });
    try {
      const circuit = `${relay.address}/p2p-circuit/p2p/${agent.peerId}`;
      // The ready file, as first written, holds the circuit.
      const [readyName] = [...Deno.readDirSync(agent.storage)]
        .map((e) => e.name).filter((n) => /^ready-.*\.json$/.test(n));
      const ready = JSON.parse(
        await Deno.readTextFile(join(agent.storage, readyName)),
      );
      assert.deepEqual(ready.multiaddrs, [circuit]);
      const [id] = fake.dms.bookings.keys();
      assert.equal(ready.relay_booking.state, "reserved");
      assert.equal(ready.relay_booking.booking_id, id);
      assert.equal(ready.relay_booking.circuit, circuit);
      assert.doesNotMatch(agent.stderr(), /no booked relay circuit within/);
      assert.match(
        agent.stderr(),
        /HTTP 401.*renewing the p2p-access token now/,
      );
      assert.equal(fake.count("p2p/verify"), 2);
      const status = await runCli(["status", "--storage", agent.storage]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(
        status.stdout,
        new RegExp(
          `relay booking ${id}\\n {2}reserved on ${relay.address}\\n {2}circuit ${circuit}\\n {2}lease until \\S+Z\\n`,
        ),
      );
      const metrics = await (await fetch(new URL("/metrics", agent.http)))
        .text();
      assert.ok(
        metrics.includes(
          `auki_edge_relay_reservation{relay="${relay.address}",source="booking",state="reserved"} 1`,
        ),
        metrics,
      );
      const relayed = await runCli([
        "catalog",
        circuit,
        "--json",
        ...authArgs(fake, secret),
      ]);
      assert.equal(relayed.code, 0, relayed.stderr);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
    assert.deepEqual(fake.dms.deleted, [...fake.dms.bookings.keys()]);
  } finally {
    await relay.stop();
    await fake.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
