/**
 * Validation of the relay addresses an operator configures: TCP multiaddrs
 * naming the relay's peer id, as the Rust `ManagerRelayReservation` requires
 * (spec cluster.md section 3.4).
 *
 * @module
 */
import { multiaddr } from "@multiformats/multiaddr";
import { errorMessage } from "../../core/logging.ts";

/** Checks a relay address and returns it normalised; throws saying what is wrong. */
export function parseRelayAddress(text: string): string {
  let normalised: string;
  try {
    normalised = multiaddr(text).toString();
  } catch (error) {
    throw new Error(
      `"${text}" is not a multiaddr (${errorMessage(error)})`,
    );
  }
  if (normalised.includes("/p2p-circuit")) {
    throw new Error(`"${text}" is a circuit address, not a relay's address`);
  }
  if (
    !/^\/(ip4|ip6|dns|dns4|dns6)\/[^/]+\/tcp\/\d+\/p2p\/[^/]+$/.test(normalised)
  ) {
    throw new Error(
      `"${text}" must be a TCP address ending in /p2p/<relay peer id>, e.g. /ip4/203.0.113.7/tcp/4002/p2p/12D3KooW...`,
    );
  }
  return normalised;
}
