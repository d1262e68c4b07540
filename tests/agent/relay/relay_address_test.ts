/**
 * Relay addresses: TCP multiaddrs ending in the relay's peer id; anything
 * else is refused saying why.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseRelayAddress } from "../../../agent/relay/relay_address.ts";

const RELAY = "12D3KooWNtkEtuLexidSVsqJdspiGgdomNCLmVSjFARCMEBhHh7g";

Deno.test("relay address: TCP with /p2p/<relay id> is accepted", () => {
  for (
    const text of [
      `/ip4/203.0.113.7/tcp/4002/p2p/${RELAY}`,
      `/ip6/::1/tcp/4002/p2p/${RELAY}`,
      `/dns4/relay.example/tcp/4002/p2p/${RELAY}`,
    ]
  ) {
    assert.equal(parseRelayAddress(text), text);
  }
});

Deno.test("relay address: each mistake is named", () => {
  assert.throws(
    () => parseRelayAddress("relay.example:4002"),
    /not a multiaddr/,
  );
  assert.throws(
    () => parseRelayAddress("/ip4/203.0.113.7/tcp/4002"),
    /must be a TCP address ending in \/p2p\/<relay peer id>/,
  );
  assert.throws(
    () => parseRelayAddress(`/ip4/203.0.113.7/tcp/4002/ws/p2p/${RELAY}`),
    /must be a TCP address/,
  );
  assert.throws(
    () =>
      parseRelayAddress(
        `/ip4/203.0.113.7/tcp/4002/p2p/${RELAY}/p2p-circuit/p2p/${RELAY}`,
      ),
    /is a circuit address, not a relay's address/,
  );
});
