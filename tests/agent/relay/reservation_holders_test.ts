/**
 * The IP a reservation is counted under, from the holder's remote address.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ipOf } from "../../../agent/relay/reservation_holders.ts";

Deno.test("ipOf: IPv4 and IPv6 addresses give their IP", () => {
  assert.equal(ipOf("/ip4/10.0.0.7/tcp/4001"), "10.0.0.7");
  assert.equal(ipOf("/ip6/::1/tcp/4001/p2p/12D3KooW"), "::1");
});

Deno.test("ipOf: other addresses count as themselves", () => {
  assert.equal(
    ipOf("/dns4/relay.example/tcp/4002"),
    "/dns4/relay.example/tcp/4002",
  );
});
