/**
 * A consumer with a public-looking listen address (DCUtR needs one on both
 * sides), run by the DCUtR test inside its network namespace: dials the
 * device's circuit address and subscribes to its joint stream, which the
 * upgrade ends; then prints, as JSON, how it ended, the open paths to the
 * device, and how many entries a subscription resumed on the new path read.
 *
 * Usage: deno run -A _dcutr_consumer.ts LISTEN_MULTIADDR CIRCUIT_MULTIADDR
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { createNode, trustListenAddresses } from "../../agent/node.ts";
import { Subscription } from "../../agent/protocols/stream_consumer.ts";

const [listen, circuit] = Deno.args;
const node = await createNode({
  privateKey: await generateKeyPair("Ed25519"),
  listen: [listen],
});
await node.start();
trustListenAddresses(node);
try {
  const target = multiaddr(circuit);
  const device = circuit.slice(circuit.lastIndexOf("/p2p/") + 5);
  const first = await Subscription.open(node, target, {
    resourceId: "sim_joints",
  });
  // The upgrade closes the relayed connection and the stream on it: the
  // subscription ends with ConnectionLost, and is resumed on the direct one
  // from the last timestamp, so nothing is lost.
  let last = 0n;
  for await (const entry of first.entries(AbortSignal.timeout(20_000))) {
    last = entry.timestampNs;
  }
  // The relayed connection closes just after the upgrade.
  const openPaths = () =>
    node.getConnections().filter((c) =>
      c.remotePeer.toString() === device && c.status === "open"
    ).map((c) => c.remoteAddr.toString());
  const settled = Date.now() + 5_000;
  while (
    openPaths().some((p) => p.includes("/p2p-circuit")) &&
    Date.now() < settled
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const paths = openPaths();
  const second = await Subscription.open(node, target, {
    resourceId: "sim_joints",
    from: { kind: "timestamp", timestampNs: last + 1n },
  });
  let resumed = 0;
  let after = last;
  for await (const entry of second.entries(AbortSignal.timeout(20_000))) {
    if (entry.timestampNs <= after) throw new Error("timestamps went back");
    after = entry.timestampNs;
    if (++resumed >= 20) break;
  }
  second.close();
  console.log(JSON.stringify({
    firstEnd: first.end?.kind,
    paths,
    resumed,
  }));
} finally {
  await node.stop();
}
// The stream timeouts would keep the process alive for their full length.
Deno.exit(0);
