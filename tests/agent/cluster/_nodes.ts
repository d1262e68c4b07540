/**
 * Helpers of the cluster unit tests: two in-process libp2p nodes on
 * loopback, a scripted in-memory stream, and a logger that keeps its lines.
 *
 * @module
 */
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p, Stream } from "@libp2p/interface";
import { Uint8ArrayList } from "uint8arraylist";
import { createNode } from "../../../agent/node.ts";

/** Starts a listening server node and a client node; both are stopped afterwards. */
export async function withNodes<T>(
  fn: (client: Libp2p, server: Libp2p) => Promise<T>,
): Promise<T> {
  const server = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
  });
  const client = await createNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: [],
  });
  try {
    await server.start();
    await client.start();
    await client.peerStore.merge(server.peerId, {
      multiaddrs: server.getMultiaddrs(),
    });
    return await fn(client, server);
  } finally {
    await client.stop();
    await server.stop();
  }
}

/**
 * An in-memory stream: what the code under test sends is kept in `sent`,
 * what the test `push`es is delivered as received data. Only what the
 * framing and heartbeat code use is implemented.
 */
export class FakeStream extends EventTarget {
  /** Frames the code under test sent, in order. */
  readonly sent: Uint8Array[] = [];
  /** Stream status as libp2p names it. */
  status: "open" | "closed" | "aborted" = "open";
  /** Read status as libp2p names it. */
  readStatus: "readable" | "paused" | "closed" = "readable";
  /** Read buffer bound (unused). */
  maxReadBufferLength = 0;
  /** Why the code under test aborted the stream, if it did. */
  abortedWith: Error | undefined;

  /** As `Stream.send`. */
  send(data: Uint8Array): boolean {
    if (this.status !== "open") throw new Error(`stream is ${this.status}`);
    this.sent.push(data);
    return true;
  }

  /** As `Stream.abort`. */
  abort(error: Error): void {
    if (this.status !== "open") return;
    this.status = "aborted";
    this.abortedWith = error;
    this.#closeEvent(error);
  }

  /** As `Stream.pause` (nothing to hold back here). */
  pause(): void {}

  /** As `Stream.resume`. */
  resume(): void {}

  /** Delivers bytes as if the peer wrote them. */
  push(bytes: Uint8Array): void {
    const event = new Event("message") as Event & { data: Uint8ArrayList };
    event.data = new Uint8ArrayList(bytes);
    this.dispatchEvent(event);
  }

  /** Ends the stream as if the peer closed it. */
  end(): void {
    this.status = "closed";
    this.readStatus = "closed";
    this.dispatchEvent(new Event("remoteCloseWrite"));
    this.#closeEvent(undefined);
  }

  #closeEvent(error: Error | undefined): void {
    const event = new Event("close") as Event & { error?: Error };
    event.error = error;
    this.dispatchEvent(event);
  }

  /** This fake, typed as the libp2p stream it stands in for. */
  get stream(): Stream {
    return this as unknown as Stream;
  }
}
