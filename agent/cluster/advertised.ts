/**
 * The multiaddrs this peer advertises to Discovery and in join requests:
 * its listen addresses without the `/p2p/` suffix, routable ones first and
 * loopback last (kept, so a cluster on one machine works), or the operator's
 * `announce` list verbatim; then the TCP-based circuit addresses of its relay
 * reservations, whole (`<relay>/p2p-circuit/p2p/<self>`), as the Rust
 * `create_cluster_with_relay_reservation` appends them (spec cluster.md 3.4,
 * 5.2). WebSocket circuits are left out: Rust daemons cannot dial them.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";

/** Whether `addr` is a circuit address Rust peers can dial (TCP-based). */
export function isTcpCircuit(addr: string): boolean {
  return addr.includes("/p2p-circuit") && addr.includes("/tcp/") &&
    !/\/(ws|wss|tls)(\/|$)/.test(addr);
}

/** The addresses to advertise for `node`. */
export function advertisedMultiaddrs(
  node: Libp2p,
  announce?: string[],
): string[] {
  const all = node.getMultiaddrs().map(String);
  const circuits = all.filter(isTcpCircuit);
  if (announce !== undefined && announce.length > 0) {
    return [...new Set([...announce, ...circuits])];
  }
  const self = `/p2p/${node.peerId}`;
  const addrs = all
    .filter((a) => !a.includes("/p2p-circuit"))
    .map((a) => a.replace(self, ""))
    .filter((a) => !/\/ip[46]\/(0\.0\.0\.0|::)\//.test(a));
  const loopback = (a: string) => /\/ip4\/127\.|\/ip6\/::1\//.test(a);
  return [
    ...new Set([
      ...addrs.filter((a) => !loopback(a)),
      ...addrs.filter(loopback),
      ...circuits,
    ]),
  ];
}
