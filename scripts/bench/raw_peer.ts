/**
 * Benchmark peer for bare js-libp2p stream throughput between two processes.
 *
 *   raw_peer.ts sink                  listen; print {"address"}; count bytes
 *   raw_peer.ts source ADDR SECONDS   send 1 MiB chunks for SECONDS
 *
 * The sink prints `{"bytes","seconds"}` for the stream once it ends.
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { waitForDrain } from "../../core/codec/framing.ts";
import { createNode } from "../../agent/node.ts";

const PROTOCOL = "/auki-edge/bench/raw/1";
const [mode, address, seconds] = Deno.args;

const node = await createNode({
  privateKey: await generateKeyPair("Ed25519"),
  listen: mode === "sink" ? ["/ip4/127.0.0.1/tcp/0"] : [],
});
await node.start();

if (mode === "sink") {
  const done = Promise.withResolvers<void>();
  await node.handle(PROTOCOL, async (stream) => {
    let bytes = 0;
    let first = 0;
    try {
      for await (const chunk of stream) {
        if (first === 0) first = performance.now();
        bytes += chunk.byteLength;
      }
    } catch {
      // The source resets when it stops; what arrived until then counts.
    }
    const elapsed = (performance.now() - first) / 1000;
    console.log(JSON.stringify({ bytes, seconds: elapsed }));
    done.resolve();
  });
  console.log(JSON.stringify({ address: node.getMultiaddrs()[0].toString() }));
  await done.promise;
} else {
  const stream = await node.dialProtocol(multiaddr(address), PROTOCOL);
  const chunk = new Uint8Array(1024 * 1024).fill(0xab);
  const end = performance.now() + Number(seconds) * 1000;
  while (performance.now() < end) {
    if (!stream.send(chunk)) await waitForDrain(stream);
  }
  await stream.close();
}
await node.stop();
// libp2p leaves timers behind after stop; the process is done.
Deno.exit(0);
