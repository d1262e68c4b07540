/**
 * `deno task bench:genb`: the cost of generation B.
 *
 *   (a) what the token handshake adds to opening a stream: one server node
 *       serves the catalog under `/auki/resources/0.2.0` (generation A) and
 *       `/auki/auth/1/resources/0.2.0` (generation B, the handshake first);
 *       one client opens N streams of each over the same connection,
 *       alternating, and the per-request latencies are compared;
 *   (b) camera stream throughput (1280x720 rgb8 at 30 Hz) from an agent
 *       process in generation A and one in generation B (against the fake
 *       API/DDS), subscribed for S seconds each.
 *
 * Usage: deno task bench:genb [--requests N] [--seconds S]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "@libp2p/interface";
import { jsonBytes } from "../core/codec/json.ts";
import { silentLogger } from "../core/logging.ts";
import { Authority } from "../agent/genb/authority.ts";
import { authRequest } from "../agent/genb/client.ts";
import { genbService } from "../agent/genb/genb_service.ts";
import { AUTH_RESOURCES_V2 } from "../agent/genb/ids.ts";
import { KeyRing } from "../agent/genb/key_ring.ts";
import { createNode } from "../agent/node.ts";
import { request } from "../agent/protocols/exchange.ts";
import { MembershipGate } from "../agent/protocols/gate.ts";
import { RESOURCES, STREAM } from "../agent/protocols/ids.ts";
import { Subscription } from "../agent/protocols/stream_consumer.ts";
import { withClient } from "../cli/client.ts";
import { openAuthenticated } from "../agent/genb/client.ts";
import { AUTH_STREAM } from "../agent/genb/ids.ts";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Stream } from "@libp2p/interface";
import { join } from "node:path";
import { startAgent } from "./harness/agent_process.ts";
import { authFlags, FakeAukiServices } from "./harness/fake_auki_services.ts";
import {
  RESOURCES_LIMITS,
  resourcesService,
} from "../agent/protocols/resources.ts";
import { Catalog } from "../agent/catalog/catalog.ts";
import { RegistryStore } from "../agent/registries/store.ts";
import {
  claimsFor,
  keyDocument,
  newSigningKey,
  signToken,
} from "./harness/genb_tokens.ts";

const DOMAIN = "de66fdf4-a830-4017-95dd-5741c30a6d0f";

async function authority(
  node: Libp2p,
  key: Awaited<ReturnType<typeof newSigningKey>>,
) {
  const ring = new KeyRing();
  await ring.install(await keyDocument(1, key.pem));
  const result = new Authority({
    domainId: DOMAIN,
    peerId: node.peerId.toString(),
    keys: ring,
  });
  await result.install(
    await signToken(
      claimsFor(node.peerId.toString(), DOMAIN, Math.floor(Date.now() / 1000)),
      key.privateKey,
    ),
  );
  return result;
}

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return `p50 ${at(0.5).toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms, mean ${
    mean.toFixed(2)
  } ms`;
}

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    seconds: { type: "string", default: "5" },
  },
});
const n = Number(values.requests);
const key = await newSigningKey();
const server = await createNode({
  privateKey: await generateKeyPair("Ed25519"),
  listen: ["/ip4/127.0.0.1/tcp/0"],
});
const client = await createNode({
  privateKey: await generateKeyPair("Ed25519"),
  listen: [],
});
await server.start();
await client.start();
const components = {
  node: server,
  gate: new MembershipGate(silentLogger),
  logger: silentLogger,
};
const catalog = new Catalog();
await resourcesService({ catalog }, components).start();
await genbService({
  authority: await authority(server, key),
  participantInfo: () => {
    throw new Error("not benchmarked");
  },
  rows: (variants) => catalog.rows(variants),
  registry: new RegistryStore(server.peerId.toString()),
  stream: (stream) => stream.abort(new Error("not benchmarked")),
}, components).start();
const party = await authority(client, key);
const target = server.getMultiaddrs();
const body = jsonBytes({});
const genA: number[] = [];
const genB: number[] = [];
// Warm up the connection and both code paths.
for (let i = 0; i < 20; i++) {
  await request(client, target, RESOURCES, body, RESOURCES_LIMITS);
  await authRequest(
    client,
    target,
    AUTH_RESOURCES_V2,
    body,
    RESOURCES_LIMITS,
    party,
  );
}
for (let i = 0; i < n; i++) {
  let t = performance.now();
  await request(client, target, RESOURCES, body, RESOURCES_LIMITS);
  genA.push(performance.now() - t);
  t = performance.now();
  await authRequest(
    client,
    target,
    AUTH_RESOURCES_V2,
    body,
    RESOURCES_LIMITS,
    party,
  );
  genB.push(performance.now() - t);
}
await client.stop();
await server.stop();
const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[ms.length >> 1];
console.log(
  `catalog request on a new stream, ${n} each, one connection, loopback:`,
);
console.log(`  generation A ${RESOURCES}: ${stats(genA)}`);
console.log(`  generation B ${AUTH_RESOURCES_V2}: ${stats(genB)}`);
console.log(
  `  handshake cost per stream (p50 difference): ${
    (median(genB) - median(genA)).toFixed(2)
  } ms`,
);

/** Payload bytes per second of `sim_camera` read for `seconds` through `open`. */
async function cameraMBps(
  node: Libp2p,
  address: Multiaddr,
  seconds: number,
  openStream?: (signal: AbortSignal) => Promise<Stream>,
): Promise<number> {
  const subscription = await Subscription.open(
    node,
    address,
    { resourceId: "sim_camera" },
    { openStream },
  );
  let bytes = 0;
  const started = performance.now();
  for await (const entry of subscription.entries()) {
    bytes += entry.payload.byteLength;
    if (performance.now() - started > seconds * 1000) break;
  }
  subscription.close();
  return bytes / ((performance.now() - started) / 1000) / 1e6;
}

const seconds = Number(values.seconds);
const camera = {
  sensors: [{
    driver: "sim.camera",
    width: 1280,
    height: 720,
    rate_hz: 30,
    retention_s: 3,
  }],
};
const fake = await FakeAukiServices.start();
fake.domains.add(DOMAIN);
const dir = await Deno.makeTempDir({ prefix: "auki-edge-bench-genb-" });
const secretPath = join(dir, "app.secret");
await Deno.writeTextFile(secretPath, fake.app.secret, { mode: 0o600 });
const genAAgent = await startAgent({ config: camera });
const genBAgent = await startAgent({
  config: camera,
  args: authFlags(fake, DOMAIN, secretPath),
});
try {
  await withClient(async (node) => {
    const token = await signToken(
      claimsFor(node.peerId.toString(), DOMAIN, Math.floor(Date.now() / 1000)),
      fake.key.privateKey,
    );
    const consumer = new Authority({
      domainId: DOMAIN,
      peerId: node.peerId.toString(),
      keys: new KeyRing(),
    });
    await consumer.keys.install(await keyDocument(1, fake.key.pem));
    await consumer.install(token);
    const a = await cameraMBps(node, genAAgent.address, seconds);
    const b = await cameraMBps(
      node,
      genBAgent.address,
      seconds,
      (signal) =>
        openAuthenticated(node, genBAgent.address, AUTH_STREAM, consumer, {
          signal,
        }),
    );
    console.log(
      `camera 1280x720 rgb8 30 Hz, ${seconds} s each (offered ${
        (1280 * 720 * 3 * 30 / 1e6).toFixed(1)
      } MB/s):`,
    );
    console.log(`  generation A ${STREAM}: ${a.toFixed(1)} MB/s`);
    console.log(`  generation B ${AUTH_STREAM}: ${b.toFixed(1)} MB/s`);
  });
} finally {
  await genAAgent.stop();
  await genBAgent.stop();
  await fake.stop();
  await Deno.remove(dir, { recursive: true });
}
