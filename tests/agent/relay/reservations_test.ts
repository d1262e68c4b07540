/**
 * Reservations between in-process nodes on loopback: a node that listens
 * nowhere reserves on a relay and gets its circuit address, loses it when
 * the relay stops, retries with backoff saying why, and reserves again when
 * the relay is back; an unreachable relay leaves the others' reservations in
 * place; a relay that refuses reservations is retried.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, PrivateKey } from "@libp2p/interface";
import { createNode } from "../../../agent/node.ts";
import {
  type RelayServer,
  startRelayServer,
} from "../../../agent/relay/relay_server.ts";
import { RelayReservations } from "../../../agent/relay/reservations.ts";
import { MemoryLogger } from "../../helpers/logger.ts";
import { freePort, poll } from "../../../scripts/harness/cluster.ts";

/** A peer id nobody runs. */
const GHOST = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";

function relayOn(
  key: PrivateKey,
  port: number,
  maxReservations = 16,
): Promise<RelayServer> {
  return startRelayServer({
    privateKey: key,
    listen: [`/ip4/127.0.0.1/tcp/${port}`],
    maxReservations,
    maxReservationsPerIp: 16,
    dataLimitBytes: 0n,
    durationLimitMs: 0,
    reservationTtlMs: 60_000,
    logger: new MemoryLogger(),
  });
}

async function natNode(): Promise<Libp2p> {
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  await node.start();
  return node;
}

Deno.test("reservations: reserved, lost with the relay, reserved again when it is back", async () => {
  const key = await generateKeyPair("Ed25519");
  const port = freePort();
  let relay = await relayOn(key, port);
  const address = relay.multiaddrs()[0];
  const node = await natNode();
  const logger = new MemoryLogger();
  let changes = 0;
  const reservations = new RelayReservations(
    node,
    [address],
    logger,
  );
  reservations.addEventListener("change", () => changes++);
  try {
    reservations.start();
    assert.equal(await reservations.firstReservation(10_000), true);
    const circuit = `${address}/p2p-circuit/p2p/${node.peerId}`;
    assert.deepEqual(reservations.circuitAddrs(), [circuit]);
    const [held] = reservations.status();
    assert.equal(held.state, "reserved");
    assert.deepEqual(held.circuits, [circuit]);
    assert.ok(
      Date.parse(held.expires_at!) > Date.now(),
      `expires in the future: ${held.expires_at}`,
    );
    assert.ok(changes >= 1, "the new circuit address was reported");

    await relay.stop();
    const lost = await poll("the reservation to be lost", () => {
      const [state] = reservations.status();
      return state.state === "waiting" && state.error ? state : undefined;
    });
    assert.deepEqual(lost.circuits, []);
    assert.ok(lost.retry_at, "the next attempt is scheduled");
    assert.deepEqual(reservations.circuitAddrs(), []);
    assert.ok(
      logger.lines.some((l) =>
        l.startsWith(`WARN cannot reserve on relay ${address}`)
      ),
      logger.lines.join("\n"),
    );

    const before = changes;
    relay = await relayOn(key, port);
    const started = Date.now();
    await poll(
      "a reservation on the restarted relay",
      () => reservations.circuitAddrs().includes(circuit) || undefined,
      10_000,
    );
    assert.ok(Date.now() - started < 10_000);
    assert.ok(changes > before, "the returning circuit was reported");
  } finally {
    reservations.stop();
    await node.stop();
    await relay.stop();
  }
});

Deno.test("reservations: an unreachable relay does not hold back the others", async () => {
  const relay = await relayOn(await generateKeyPair("Ed25519"), 0);
  const dead = `/ip4/127.0.0.1/tcp/${freePort()}/p2p/${GHOST}`;
  const node = await natNode();
  const reservations = new RelayReservations(
    node,
    [dead, relay.multiaddrs()[0]],
    new MemoryLogger(),
  );
  try {
    reservations.start();
    assert.equal(await reservations.firstReservation(10_000), true);
    const [down, up] = await poll("both relays tried", () => {
      const states = reservations.status();
      return states[0].error ? states : undefined;
    });
    assert.equal(up.state, "reserved");
    assert.equal(down.state, "waiting");
    assert.match(down.error!, /.+/);
  } finally {
    reservations.stop();
    await node.stop();
    await relay.stop();
  }
});

Deno.test("reservations: a relay that refuses reservations is retried with backoff", async () => {
  const relay = await relayOn(await generateKeyPair("Ed25519"), 0, 0);
  const node = await natNode();
  const logger = new MemoryLogger();
  const reservations = new RelayReservations(
    node,
    [relay.multiaddrs()[0]],
    logger,
  );
  try {
    reservations.start();
    assert.equal(await reservations.firstReservation(2_500), false);
    const warnings = await poll("two refused attempts", () => {
      const lines = logger.lines.filter((l) =>
        l.startsWith("WARN cannot reserve on relay")
      );
      return lines.length >= 2 ? lines : undefined;
    });
    assert.match(warnings[0], /retrying in 1 s/);
    assert.match(warnings[1], /retrying in 2 s/);
  } finally {
    reservations.stop();
    await node.stop();
    await relay.stop();
  }
});
