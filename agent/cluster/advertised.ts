/**
 * The multiaddrs this peer advertises to Discovery and in join requests:
 * its listen addresses without the `/p2p/` suffix, routable ones first and
 * loopback last (kept, so a cluster on one machine works), or the operator's
 * `announce` list verbatim.
 *
 * @module
 */
import type { Libp2p } from "@libp2p/interface";

/** The addresses to advertise for `node`. */
export function advertisedMultiaddrs(
  node: Libp2p,
  announce?: string[],
): string[] {
  if (announce !== undefined && announce.length > 0) return announce;
  const self = `/p2p/${node.peerId}`;
  const addrs = node.getMultiaddrs()
    .map((a) => a.toString().replace(self, ""))
    .filter((a) => !/\/ip[46]\/(0\.0\.0\.0|::)\//.test(a));
  const loopback = (a: string) => /\/ip4\/127\.|\/ip6\/::1\//.test(a);
  return [
    ...new Set([
      ...addrs.filter((a) => !loopback(a)),
      ...addrs.filter(loopback),
    ]),
  ];
}
