/**
 * The relay side of source admission (spec genb.md 1.4) on an in-process
 * relay with `admission`: a dialer with a token of the relay's domain is
 * admitted for a target holding a reservation and may then connect to it;
 * other domains, empty tokens, targets without a reservation and dialers
 * never admitted are refused.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { admitThroughRelay } from "../../../agent/genb/relay_admission.ts";
import { Authority } from "../../../agent/genb/authority.ts";
import { relayListen } from "../../../agent/relay/reservations.ts";
import { startRelayServer } from "../../../agent/relay/relay_server.ts";
import { FakeAukiServices } from "../../../scripts/harness/fake_auki_services.ts";
import { claimsFor, signToken } from "../../../scripts/harness/genb_tokens.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { until } from "../../helpers/wait.ts";
import { authorityFor, DOMAIN, ringOf, startNode, TestClock } from "./_genb.ts";

Deno.test("relay admission server: admits the domain's peers for reserved targets, refuses the rest", async () => {
  const fake = await FakeAukiServices.start();
  const logger = new MemoryLogger();
  const relay = await startRelayServer({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    maxReservations: 16,
    maxReservationsPerIp: 16,
    dataLimitBytes: 0n,
    durationLimitMs: 0,
    reservationTtlMs: 60_000,
    logger,
    admission: { domainId: DOMAIN, dds: fake.url },
  });
  const target = await startNode(undefined, false);
  const client = await startNode(undefined, false);
  const stranger = await startNode(undefined, false);
  try {
    const base = multiaddr(relay.multiaddrs()[0]);
    await relayListen(target, base);
    const circuit = multiaddr(`${base}/p2p-circuit/p2p/${target.peerId}`);
    const clock = new TestClock();
    await until(() => fake.count("p2p-verification-keys") > 0, "the keys");
    // Never admitted: the relay refuses the circuit.
    await assert.rejects(stranger.dial(circuit));
    await until(
      () => logger.messages("INFO").some((m) => m.includes("not admitted")),
      "the refusal logged",
    );
    // Another domain's token, an empty token: refused admission.
    const other = "00000000-0000-4000-8000-00000000000b";
    const foreign = new Authority(
      {
        domainId: other,
        peerId: client.peerId.toString(),
        keys: await ringOf(clock, fake.key.pem),
      },
      clock.now,
    );
    await foreign.install(
      await signToken(
        claimsFor(client.peerId.toString(), other, Math.floor(clock.ms / 1000)),
        fake.key.privateKey,
      ),
    );
    await assert.rejects(
      admitThroughRelay(client, circuit, foreign),
      /refused admission/,
    );
    const empty = await authorityFor(client, fake.key, clock);
    empty.localToken = () => "";
    await assert.rejects(
      admitThroughRelay(client, circuit, empty),
      /refused admission/,
    );
    // A target without a reservation here.
    const member = await authorityFor(client, fake.key, clock);
    await assert.rejects(
      admitThroughRelay(
        client,
        multiaddr(`${base}/p2p-circuit/p2p/${stranger.peerId}`),
        member,
      ),
      /refused admission/,
    );
    // Admitted: the circuit opens.
    await admitThroughRelay(client, circuit, member);
    const connection = await client.dial(circuit);
    assert.equal(connection.remotePeer.toString(), target.peerId.toString());
    assert.ok(
      logger.messages("INFO").some((m) =>
        m.includes(`admission of ${client.peerId} refused`)
      ),
      logger.lines.join("\n"),
    );
  } finally {
    await stranger.stop();
    await client.stop();
    await target.stop();
    await relay.stop();
    await fake.stop();
  }
});
