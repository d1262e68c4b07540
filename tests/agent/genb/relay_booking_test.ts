/**
 * DMS relay booking (spec genb.md 5) against the fake DMS and in-process
 * relays: book, poll, reserve with the slot's limits, renew, delete at
 * stop; unreachable relays and other limits reported as `dial_failed` and
 * `limit_mismatch`, a lost reservation as `reservation_lost`, DMS garbage
 * and 5xx retried; a DMS 401 answered by renewing the token and retrying
 * once; the HOP answer decoder.
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { Libp2p } from "@libp2p/interface";
import {
  relayBooking,
  type RelayBookingService,
} from "../../../agent/genb/relay_booking.ts";
import { selectBase } from "../../../agent/genb/slot_reservation.ts";
import type { RelaySlot } from "../../../agent/genb/relay_booking_client.ts";
import { decodeHopAnswer } from "../../../agent/relay/hop_reserve.ts";
import {
  type RelayServer,
  startRelayServer,
} from "../../../agent/relay/relay_server.ts";
import { freePort } from "../../../scripts/harness/cluster.ts";
import {
  FakeAukiServices,
} from "../../../scripts/harness/fake_auki_services.ts";
import type { FakeProvider } from "../../../scripts/harness/fake_dms.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { until } from "../../helpers/wait.ts";
import {
  authorityFor,
  DOMAIN,
  startNode,
  supervised,
  TestClock,
} from "./_genb.ts";

const LIMITS = { duration_seconds: 120_000, data_bytes_per_direction: 1e8 };

/** An in-process relay limiting circuits to 1e8 bytes and `durationMs`. */
async function relayWithLimits(durationMs = 120_000): Promise<RelayServer> {
  return await startRelayServer({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    maxReservations: 16,
    maxReservationsPerIp: 16,
    dataLimitBytes: 100_000_000n,
    // js-libp2p relays write their millisecond duration into the HOP
    // seconds field: the slot states what the relay announces (decision 106).
    durationLimitMs: durationMs,
    reservationTtlMs: 60_000,
    logger: new MemoryLogger(),
  });
}

function providerOf(relay: RelayServer, limits = LIMITS): FakeProvider {
  const base = relay.multiaddrs()[0].replace(/\/p2p\/[^/]+$/, "");
  return {
    peerId: relay.node.peerId.toString(),
    bases: [base],
    limits,
  };
}

/**
 * Runs a booking for a node without listen addresses; its token is minted
 * once, or with `supervise` kept by a supervisor signing in to `fake`.
 */
async function withBooking(
  fake: FakeAukiServices,
  fn: (
    node: Libp2p,
    logger: MemoryLogger,
    service: RelayBookingService,
  ) => Promise<void>,
  supervise = false,
  holds = true,
): Promise<void> {
  const key = await generateKeyPair("Ed25519");
  const node = await startNode(key, false);
  const logger = new MemoryLogger();
  const kept = supervise ? supervised(fake, key, logger) : undefined;
  await kept?.supervisor.ready;
  const authority = kept?.authority ??
    await authorityFor(node, fake.key, new TestClock());
  const service = relayBooking(
    {
      dms: fake.url,
      authority,
      renew: kept &&
        ((rejected, reason) => kept.supervisor.renewNow(rejected, reason)),
      timing: { pollMs: 100, minBackoffMs: 100, maxBackoffMs: 400 },
    },
    { node, logger },
  );
  service.start();
  try {
    await fn(node, logger, service);
    assert.equal(service.held() !== undefined, holds, logger.lines.join("\n"));
  } finally {
    await service.stop();
    await kept?.supervisor.stop();
    await node.stop();
  }
}

Deno.test("relay booking: booked, polled until ready, reserved with the slot's limits, renewed, deleted at stop", async () => {
  const fake = await FakeAukiServices.start();
  const relay = await relayWithLimits();
  fake.dms.providers = [providerOf(relay)];
  // Renewals come halfway to a 3 s authority.
  fake.dms.authorityS = 3;
  try {
    await withBooking(fake, async (node, logger, service) => {
      const circuit = `${relay.multiaddrs()[0]}/p2p-circuit/p2p/${node.peerId}`;
      let changes = 0;
      service.addEventListener("change", () => changes++);
      assert.equal(await service.firstCircuit(20_000), true);
      assert.ok(
        node.getMultiaddrs().some((a) => a.toString() === circuit),
        `the circuit ${circuit}`,
      );
      assert.equal(changes, 1);
      const [id] = fake.dms.bookings.keys();
      const status = service.status();
      assert.deepEqual(
        {
          ...status,
          lease_expires_at: typeof status.lease_expires_at,
          authority_expires_at: typeof status.authority_expires_at,
        },
        {
          state: "reserved",
          booking_id: id,
          relay: relay.multiaddrs()[0],
          circuit,
          lease_expires_at: "string",
          authority_expires_at: "string",
        },
      );
      await until(() => fake.dms.renewals >= 2, "two renewals", 20_000);
      assert.equal(fake.dms.bookings.size, 1);
      assert.equal(fake.dms.failures.length, 0, logger.lines.join("\n"));
      assert.ok(
        logger.messages("INFO").some((m) =>
          m.includes(`advertising ${circuit}`)
        ),
        logger.lines.join("\n"),
      );
    });
    const [id] = fake.dms.bookings.keys();
    assert.deepEqual(fake.dms.deleted, [id]);
    assert.equal(fake.count("POST /relay-bookings"), 1 + fake.dms.renewals);
  } finally {
    await relay.stop();
    await fake.stop();
  }
});

Deno.test("relay booking: an unreachable relay and other limits are reported, DMS garbage and 5xx retried, the next slot reserved", async () => {
  const fake = await FakeAukiServices.start();
  const other = await relayWithLimits(60_000);
  const good = await relayWithLimits();
  const nobody = peerIdFromPrivateKey(await generateKeyPair("Ed25519"));
  fake.dms.providers = [
    {
      peerId: nobody.toString(),
      bases: [`/ip4/127.0.0.1/tcp/${freePort()}`],
      limits: LIMITS,
    },
    providerOf(other),
    providerOf(good),
  ];
  fake.failNext.set("relay-bookings/active", "garbage");
  try {
    await withBooking(fake, async (node, logger) => {
      fake.failNext.set("reservation-failed", 503);
      await until(
        () =>
          node.getMultiaddrs().some((a) =>
            a.toString().includes(`/p2p/${good.node.peerId}/p2p-circuit`)
          ),
        "a circuit on the third relay",
        30_000,
      );
      const reasons = fake.dms.failures.map((f) => f.reason);
      // The first report met a 503 and was made again.
      assert.deepEqual(
        [...new Set(reasons)],
        ["dial_failed", "limit_mismatch"],
        logger.lines.join("\n"),
      );
      assert.ok(
        logger.messages("WARN").some((m) => /unexpected answer/.test(m)),
        logger.lines.join("\n"),
      );
      assert.ok(
        logger.messages("WARN").some((m) => /HTTP 503/.test(m)),
        logger.lines.join("\n"),
      );
      assert.ok(
        node.getMultiaddrs().every((a) =>
          !a.toString().includes(`/p2p/${other.node.peerId}/p2p-circuit`)
        ),
        "no reservation kept on the relay with other limits",
      );
    });
    assert.equal(fake.dms.deleted.length, 1);
  } finally {
    await good.stop();
    await other.stop();
    await fake.stop();
  }
});

Deno.test("relay booking: a lost reservation is reported and the reassigned slot reserved", async () => {
  const fake = await FakeAukiServices.start();
  const first = await relayWithLimits();
  const second = await relayWithLimits();
  fake.dms.providers = [providerOf(first), providerOf(second)];
  const circuitOn = (node: Libp2p, relay: RelayServer) =>
    node.getMultiaddrs().some((a) =>
      a.toString().includes(`/p2p/${relay.node.peerId}/p2p-circuit`)
    );
  try {
    await withBooking(fake, async (node, logger) => {
      await until(() => circuitOn(node, first), "the first circuit", 20_000);
      await first.stop();
      await until(() => circuitOn(node, second), "the second circuit", 20_000);
      assert.deepEqual(
        fake.dms.failures.map((f) => f.reason),
        ["reservation_lost"],
        logger.lines.join("\n"),
      );
    });
  } finally {
    await second.stop();
    await fake.stop();
  }
});

Deno.test("relay booking: status while waiting for a slot and while DMS fails; the first circuit's wait is bounded", async () => {
  const fake = await FakeAukiServices.start();
  // No relay provider: the slot stays queued.
  try {
    await withBooking(
      fake,
      async (_node, logger, service) => {
        assert.equal(await service.firstCircuit(300), false);
        const [id] = fake.dms.bookings.keys();
        assert.deepEqual(service.status(), {
          state: "waiting_for_slot",
          booking_id: id,
          relay: null,
          circuit: null,
          lease_expires_at: null,
          authority_expires_at: service.status().authority_expires_at,
        });
        fake.failing.set("relay-bookings/active", 503);
        await until(
          () => service.status().state === "failed",
          "the failed state",
          5_000,
        );
        const failed = service.status();
        assert.match(failed.error ?? "", /HTTP 503/, logger.lines.join("\n"));
        await until(
          () => service.status().retry_at !== undefined,
          "the next attempt's time",
          5_000,
        );
        fake.failing.clear();
        await until(
          () => service.status().state === "waiting_for_slot",
          "recovered",
          5_000,
        );
        assert.equal(service.status().error, undefined);
      },
      false,
      false,
    );
  } finally {
    await fake.stop();
  }
});

Deno.test("relay booking: a DMS 401 renews the token now and the call is made again at once", async () => {
  const fake = await FakeAukiServices.start();
  fake.domains.add(DOMAIN);
  const relay = await relayWithLimits();
  fake.dms.providers = [providerOf(relay)];
  // The booking's first call (its create) is refused.
  fake.failNext.set("relay-bookings", 401);
  try {
    await withBooking(fake, async (node, logger) => {
      await until(
        () =>
          node.getMultiaddrs().some((a) =>
            a.toString().includes(`/p2p/${relay.node.peerId}/p2p-circuit`)
          ),
        "the circuit",
        20_000,
      );
      // The first token and one renewal; the create retried with the new
      // token (same idempotency key) rather than after a backoff.
      assert.equal(fake.count("p2p/verify"), 2);
      assert.equal(fake.count("POST /relay-bookings"), 2);
      assert.equal(fake.dms.idempotencyKeys.length, 1);
      assert.ok(
        logger.messages("INFO").some((m) =>
          /HTTP 401.*renewing the p2p-access token now/.test(m)
        ),
        logger.lines.join("\n"),
      );
      assert.deepEqual(
        logger.messages("WARN").filter((m) => m.startsWith("relay booking:")),
        [],
      );
    }, true);
  } finally {
    await relay.stop();
    await fake.stop();
  }
});

Deno.test("relay booking: base selection and HOP answers", () => {
  const slot = (bases: string[], provider = "12D3KooWRelay"): RelaySlot => ({
    slot_id: "s",
    slot_index: 0,
    state: "ready",
    provider_peer_id: provider,
    provider_base_addresses: bases,
    limits: LIMITS,
  });
  assert.equal(
    selectBase(slot([
      "/dns4/relay.example/tcp/443/wss",
      "/ip4/203.0.113.9/tcp/4002",
      "/ip4/203.0.113.7/tcp/4002",
    ])).toString(),
    "/ip4/203.0.113.7/tcp/4002/p2p/12D3KooWRelay",
  );
  assert.throws(
    () => selectBase(slot(["/dns4/relay.example/tcp/443/wss"])),
    (e: Error & { reason?: string }) => e.reason === "address_mismatch",
  );
  assert.throws(
    () => selectBase(slot(["/ip4/203.0.113.7/tcp/4002/p2p/12D3KooWOther"])),
    (e: Error & { reason?: string }) => e.reason === "address_mismatch",
  );
  // status OK (5: 100), limit { duration 120, data 2^40 }.
  const limit = [0x08, 120, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
  assert.deepEqual(
    decodeHopAnswer(
      new Uint8Array([0x08, 0x02, 0x22, limit.length, ...limit, 0x28, 100]),
    ),
    { status: 100, limit: { duration: 120, data: 2n ** 40n } },
  );
  assert.deepEqual(decodeHopAnswer(new Uint8Array([0x28, 0xc8, 0x01])), {
    status: 200,
  });
  assert.throws(() => decodeHopAnswer(new Uint8Array([0x22, 5, 1])));
});
