/**
 * Benchmark subscriber: reads one stream of an agent for SECONDS and prints
 * `{"entries","bytes","seconds","latency_ns":[...]}`; latency is the UTC
 * clock at receipt minus the entry's timestamp (same machine, same clock).
 *
 *   subscriber.ts ADDR RESOURCE SECONDS [--latency]
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { createNode } from "../../agent/node.ts";
import { realtimeNs } from "../../core/clocks/system_time.ts";
import { Subscription } from "../../agent/protocols/stream_consumer.ts";

const [address, resourceId, seconds] = Deno.args;
const latency = Deno.args.includes("--latency");
const WARM_UP_MS = 1000;

const node = await createNode({
  privateKey: await generateKeyPair("Ed25519"),
  listen: [],
});
await node.start();
const subscription = await Subscription.open(node, multiaddr(address), {
  resourceId,
});
const start = performance.now();
const stopAt = start + WARM_UP_MS + Number(seconds) * 1000;
let entries = 0;
let bytes = 0;
let measuredFrom = 0;
// Preallocated so that measuring adds no garbage to the measured path.
const latencies = new BigInt64Array(latency ? 200_000 : 0);
let measured = 0;
const timer = setTimeout(() => subscription.close(), stopAt - start + 5000);
for await (const entry of subscription.entries()) {
  const now = performance.now();
  if (now >= stopAt) break;
  if (now - start < WARM_UP_MS) continue;
  if (measuredFrom === 0) measuredFrom = now;
  entries++;
  bytes += entry.payload.byteLength;
  if (latency && measured < latencies.length) {
    latencies[measured++] = realtimeNs() - entry.timestampNs;
  }
}
clearTimeout(timer);
const elapsed = (performance.now() - measuredFrom) / 1000;
subscription.close();
console.log(
  JSON.stringify({
    entries,
    bytes,
    seconds: elapsed,
    latency_ns: Array.from(latencies.subarray(0, measured), String),
  }),
);
await node.stop();
// libp2p leaves timers behind after stop; the process is done.
Deno.exit(0);
