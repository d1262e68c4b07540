/**
 * End to end on loopback against a real `auki-edge relay` process: throwaway
 * peers that reserve and vanish free their slot within a second, so they
 * cannot lock NAT'd devices out until the reservation TTL; one IP holds at
 * most its per-IP limit, refused with a logged reason.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  freePort,
  poll,
  startRelay,
  TempDirs,
} from "../../scripts/harness/cluster.ts";
import {
  HOP_STATUS,
  reserveOn as reserve,
  throwawayPeer,
} from "../../scripts/harness/hop_reserve.ts";

const { OK, PERMISSION_DENIED, RESERVATION_REFUSED } = HOP_STATUS;

Deno.test("relay: a vanished holder's slot is usable again within a second", async () => {
  const dirs = new TempDirs();
  const relay = await startRelay(await dirs.make(), {
    port: freePort(),
    args: ["--max-reservations", "2", "--max-reservations-per-ip", "8"],
  });
  const peers = [await throwawayPeer(), await throwawayPeer()];
  const late = await throwawayPeer();
  try {
    assert.equal(await reserve(peers[0], relay.address), OK);
    assert.equal(await reserve(peers[1], relay.address), OK);
    assert.equal(await reserve(late, relay.address), RESERVATION_REFUSED);
    await peers[0].stop();
    const stopped = performance.now();
    await poll("a freed slot", async () => {
      return await reserve(late, relay.address) === OK || undefined;
    }, 5_000);
    const freedMs = performance.now() - stopped;
    console.log(`freed slot reserved again after ${freedMs.toFixed(0)} ms`);
    assert.ok(freedMs < 1_000, `took ${freedMs} ms`);
    assert.match(relay.stderr(), /freed: its connection closed/);
  } finally {
    await Promise.all([...peers, late].map((p) => p.stop()));
    await relay.stop();
    await dirs.remove();
  }
});

Deno.test("relay: one IP holds at most its per-IP limit, refused with a reason", async () => {
  const dirs = new TempDirs();
  const relay = await startRelay(await dirs.make(), {
    port: freePort(),
    args: ["--max-reservations-per-ip", "2"],
  });
  const peers = await Promise.all([1, 2, 3].map(() => throwawayPeer()));
  try {
    assert.equal(await reserve(peers[0], relay.address), OK);
    assert.equal(await reserve(peers[1], relay.address), OK);
    assert.equal(await reserve(peers[2], relay.address), PERMISSION_DENIED);
    // A holder renews its own reservation whatever its IP holds.
    assert.equal(await reserve(peers[0], relay.address), OK);
    await poll(
      "the refusal in the relay's log",
      () =>
        /refused: 127\.0\.0\.1 holds 2 \(limit 2 per IP\)/.test(
          relay.stderr(),
        ) ||
        undefined,
    );
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    await relay.stop();
    await dirs.remove();
  }
});
