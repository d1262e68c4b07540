/**
 * `/auki/membership/0.0.1` (spec wire.md 9.3): the Manager writes one frame
 * `{"manager_peer_id","membership_json"}` and closes; the reader accepts
 * exactly that and throws on anything else.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Libp2p, Stream } from "@libp2p/interface";
import { encodeFrame, FrameReader } from "../../../core/codec/framing.ts";
import {
  MEMBERSHIP_LIMITS,
  type MembershipUpdate,
  readMembership,
  sendMembership,
} from "../../../agent/cluster/membership_protocol.ts";
import { MEMBERSHIP } from "../../../agent/protocols/ids.ts";
import { withNodes } from "./_nodes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MANAGER = "12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw";
const DOC =
  `{"cluster_name":"lab","peers":[{"peer_id":"${MANAGER}","multiaddrs":["/ip4/127.0.0.1/tcp/4001"],"join_ts_ns":1733836800000000001,"successor_token":[]}]}`;

/** Sends raw bytes on a new membership substream, then closes its writing side. */
async function sendRaw(
  client: Libp2p,
  server: Libp2p,
  bytes: Uint8Array,
): Promise<void> {
  const stream = await client.dialProtocol(server.peerId, MEMBERSHIP);
  if (bytes.length > 0) stream.send(bytes);
  await stream.close().catch(() => {});
}

/** Serves membership on `server`, passing each outcome of `readMembership` to the returned list. */
async function reader(
  server: Libp2p,
): Promise<Array<MembershipUpdate | Error>> {
  const outcomes: Array<MembershipUpdate | Error> = [];
  await server.handle(MEMBERSHIP, async (stream: Stream) => {
    try {
      outcomes.push(await readMembership(stream));
    } catch (error) {
      outcomes.push(error as Error);
      stream.abort(error as Error);
    }
  });
  return outcomes;
}

async function settled<T>(list: T[], count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (list.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${list.length} outcomes`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("membership: the frame sendMembership writes, field by field", async () => {
  await withNodes(async (client, server) => {
    const seen = Promise.withResolvers<string>();
    await server.handle(MEMBERSHIP, async (stream: Stream) => {
      const frames = new FrameReader(stream, MEMBERSHIP_LIMITS);
      const body = await frames.read();
      const after = await frames.read(AbortSignal.timeout(5_000));
      assert.equal(after, null, "one frame, then the writer closes");
      seen.resolve(decoder.decode(body!));
    });
    await sendMembership(client, server.peerId, MANAGER, DOC);
    assert.equal(
      await seen.promise,
      `{"manager_peer_id":"${MANAGER}","membership_json":${
        JSON.stringify(DOC)
      }}`,
    );
  });
});

Deno.test("membership: readMembership returns the sender's claim and the document", async () => {
  await withNodes(async (client, server) => {
    const outcomes = await reader(server);
    await sendMembership(client, server.peerId, MANAGER, DOC);
    // serde reads any member order.
    await sendRaw(
      client,
      server,
      encodeFrame(
        encoder.encode(
          `{"membership_json":${
            JSON.stringify(DOC)
          },"manager_peer_id":"${MANAGER}","extra":[1]}`,
        ),
        MEMBERSHIP_LIMITS,
      ),
    );
    await settled(outcomes, 2);
    for (const outcome of outcomes) {
      assert.ok(!(outcome instanceof Error), String(outcome));
      assert.equal(outcome.managerPeerId, MANAGER);
      assert.equal(outcome.membership.cluster_name, "lab");
      assert.equal(
        outcome.membership.peers[0].join_ts_ns,
        1_733_836_800_000_000_001n,
      );
    }
  });
});

Deno.test("membership: an update without manager_peer_id (older Rust Managers) is read", async () => {
  await withNodes(async (client, server) => {
    const outcomes = await reader(server);
    await sendRaw(
      client,
      server,
      encodeFrame(
        encoder.encode(`{"membership_json":${JSON.stringify(DOC)}}`),
        MEMBERSHIP_LIMITS,
      ),
    );
    await settled(outcomes, 1);
    const [update] = outcomes as MembershipUpdate[];
    assert.equal(update.managerPeerId, undefined);
    assert.equal(update.membership.peers[0].peer_id, MANAGER);
  });
});

Deno.test("membership: malformed updates throw", async () => {
  const frame = (text: string) =>
    encodeFrame(encoder.encode(text), MEMBERSHIP_LIMITS);
  const bad: [string, Uint8Array][] = [
    ["an empty stream", new Uint8Array(0)],
    ["a zero-length frame", Uint8Array.of(0, 0, 0, 0)],
    ["a truncated frame", Uint8Array.of(0, 0, 0, 9, 0x7b)],
    ["an oversized frame", Uint8Array.of(0, 0x10, 0, 1)],
    ["not JSON", frame("{nope")],
    ["no membership_json", frame(`{"manager_peer_id":"${MANAGER}"}`)],
    [
      "membership_json not a string",
      frame(`{"manager_peer_id":"${MANAGER}","membership_json":{}}`),
    ],
    [
      "membership_json not a membership",
      frame(`{"manager_peer_id":"${MANAGER}","membership_json":"[]"}`),
    ],
    [
      "invalid UTF-8",
      encodeFrame(Uint8Array.of(0x7b, 0xc3, 0x28, 0x7d), MEMBERSHIP_LIMITS),
    ],
  ];
  await withNodes(async (client, server) => {
    const outcomes = await reader(server);
    for (const [, bytes] of bad) await sendRaw(client, server, bytes);
    await settled(outcomes, bad.length);
    // Handlers finish in any order: each must be an error.
    outcomes.forEach((outcome, i) =>
      assert.ok(outcome instanceof Error, `accepted ${bad[i][0]}`)
    );
  });
});
