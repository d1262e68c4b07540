/**
 * The addresses a peer advertises to Discovery and in join requests: listen
 * addresses without `/p2p/`, wildcards dropped, routable first and loopback
 * last, deduplicated; or the operator's `announce` list verbatim.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { advertisedMultiaddrs } from "../../../agent/cluster/advertised.ts";
import { withNodes } from "./_nodes.ts";

const PEER = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";

function fakeNode(addrs: string[]): Libp2p {
  return {
    peerId: { toString: () => PEER },
    getMultiaddrs: () => addrs.map((a) => multiaddr(a)),
  } as unknown as Libp2p;
}

Deno.test("advertised: routable first, loopback last, no /p2p suffix, no wildcards", () => {
  const node = fakeNode([
    `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`,
    `/ip4/192.168.1.20/tcp/4001/p2p/${PEER}`,
    `/ip6/::1/tcp/4001/p2p/${PEER}`,
    `/ip4/0.0.0.0/tcp/4001/p2p/${PEER}`,
    `/ip6/::/tcp/4001/p2p/${PEER}`,
    `/ip6/fd00::5/tcp/4001/p2p/${PEER}`,
    `/ip4/192.168.1.20/tcp/4001/p2p/${PEER}`,
  ]);
  assert.deepEqual(advertisedMultiaddrs(node), [
    "/ip4/192.168.1.20/tcp/4001",
    "/ip6/fd00::5/tcp/4001",
    "/ip4/127.0.0.1/tcp/4001",
    "/ip6/::1/tcp/4001",
  ]);
});

Deno.test("advertised: a loopback-only peer still advertises loopback", () => {
  assert.deepEqual(
    advertisedMultiaddrs(fakeNode([`/ip4/127.0.0.1/tcp/5/p2p/${PEER}`])),
    ["/ip4/127.0.0.1/tcp/5"],
  );
  assert.deepEqual(advertisedMultiaddrs(fakeNode([])), []);
});

Deno.test("advertised: announce replaces the listen addresses verbatim", () => {
  const node = fakeNode([`/ip4/127.0.0.1/tcp/5/p2p/${PEER}`]);
  assert.deepEqual(
    advertisedMultiaddrs(node, [
      "/dns4/robot.local/tcp/4001",
      "/ip4/10.0.0.9/tcp/9",
    ]),
    ["/dns4/robot.local/tcp/4001", "/ip4/10.0.0.9/tcp/9"],
  );
  assert.deepEqual(advertisedMultiaddrs(node, []), ["/ip4/127.0.0.1/tcp/5"]);
});

Deno.test("advertised: a real node's ephemeral port, dialable as advertised", async () => {
  await withNodes(async (client, server) => {
    const addrs = advertisedMultiaddrs(server);
    assert.equal(addrs.length, 1);
    assert.match(addrs[0], /^\/ip4\/127\.0\.0\.1\/tcp\/[1-9]\d*$/);
    const connection = await client.dial(
      multiaddr(`${addrs[0]}/p2p/${server.peerId}`),
    );
    assert.equal(connection.remotePeer.toString(), server.peerId.toString());
  });
});

Deno.test("advertised: TCP circuit addresses follow whole, WebSocket circuits are left out", () => {
  const relay = "12D3KooWNtkEtuLexidSVsqJdspiGgdomNCLmVSjFARCMEBhHh7g";
  const circuit =
    `/ip4/203.0.113.7/tcp/4002/p2p/${relay}/p2p-circuit/p2p/${PEER}`;
  const node = fakeNode([
    circuit,
    `/ip4/203.0.113.7/tcp/4003/ws/p2p/${relay}/p2p-circuit/p2p/${PEER}`,
    `/ip4/192.168.1.20/tcp/4001/p2p/${PEER}`,
  ]);
  assert.deepEqual(advertisedMultiaddrs(node), [
    "/ip4/192.168.1.20/tcp/4001",
    circuit,
  ]);
  assert.deepEqual(
    advertisedMultiaddrs(node, ["/dns4/robot.example/tcp/4001"]),
    ["/dns4/robot.example/tcp/4001", circuit],
  );
  assert.deepEqual(advertisedMultiaddrs(fakeNode([circuit])), [circuit]);
});
