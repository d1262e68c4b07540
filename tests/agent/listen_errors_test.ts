/**
 * Listen failures in words: a real libp2p node refused its addresses, and
 * Deno's socket errors, each named by address and port on one line.
 *
 * @module
 */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import {
  httpListenError,
  libp2pListenError,
  listenReason,
} from "../../agent/listen_errors.ts";
import { errorMessage } from "../../core/logging.ts";
import { createNode } from "../../agent/node.ts";

async function startFailure(listen: string[]): Promise<unknown> {
  const node = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen,
  });
  try {
    await node.start();
  } catch (error) {
    return error;
  } finally {
    await node.stop();
  }
  assert.fail(`listening on ${listen.join(" ")} succeeded`);
}

Deno.test("libp2pListenError names each refused address and its port", async () => {
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (held.addr as Deno.NetAddr).port;
  try {
    const error = await startFailure([
      `/ip4/127.0.0.1/tcp/${port}`,
      "/ip4/203.0.113.9/tcp/0",
    ]);
    assert.match(errorMessage(error), /faultTolerance/, "libp2p's own text");
    const clean = errorMessage(libp2pListenError(error));
    assert.equal(
      clean,
      `cannot listen on /ip4/127.0.0.1/tcp/${port}: port ${port} is already in use; ` +
        "cannot listen on /ip4/203.0.113.9/tcp/0: the address is not one of this host's",
    );
  } finally {
    held.close();
  }
});

Deno.test("other errors pass through libp2pListenError unchanged", () => {
  const error = new Error("something else");
  assert.equal(libp2pListenError(error), error);
});

Deno.test("httpListenError and listenReason", () => {
  let error: unknown;
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (held.addr as Deno.NetAddr).port;
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  } catch (caught) {
    error = caught;
  } finally {
    held.close();
  }
  assert.ok(error instanceof Deno.errors.AddrInUse);
  assert.equal(
    httpListenError(error, "127.0.0.1", port).message,
    `cannot listen on 127.0.0.1:${port}: port ${port} is already in use`,
  );
  assert.equal(
    listenReason("listen EACCES: permission denied 0.0.0.0:80", "80"),
    "no permission to listen on port 80 (ports below 1024 need privileges)",
  );
  assert.equal(listenReason("Error: strange\n    at x", undefined), "strange");
});
