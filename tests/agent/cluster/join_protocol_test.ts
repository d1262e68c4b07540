/**
 * `/auki/join/0.0.1` (spec wire.md 9.1): the locked request frame, JSON and
 * protobuf requests, answers in the request's encoding, malformed bodies
 * dropped, the empty protobuf request, and `requestJoin` on a real
 * substream.
 *
 * @module
 */
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Stream } from "@libp2p/interface";
import { encodeFrame, FrameReader } from "../../../core/codec/framing.ts";
import { parseJsonBytes } from "../../../core/codec/json.ts";
import {
  decodeJoinAnswer,
  decodeJoinRequest,
  encodeJoinAnswer,
  JOIN_LIMITS,
  requestJoin,
} from "../../../agent/cluster/join_protocol.ts";
import {
  JoinRequestSchema,
  JoinResponseSchema,
} from "../../../core/proto/gen/auki/join_pb.ts";
import { DropRequest } from "../../../agent/protocols/exchange.ts";
import { JOIN } from "../../../agent/protocols/ids.ts";
import { withNodes } from "./_nodes.ts";
import { fromHex, toHex } from "../../helpers/hex.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ADDR = "/ip4/192.168.1.10/tcp/4001";
/** wire.md 9.1: JoinRequest{multiaddrs=["/ip4/192.168.1.10/tcp/4001"]} as a frame. */
const LOCKED_FRAME =
  "0000001c0a1a2f6970342f3139322e3136382e312e31302f7463702f34303031";
const MEMBERSHIP =
  `{"cluster_name":"lab","peers":[{"peer_id":"12D3KooWAfBVdmphtMFPVq3GEpcg3QMiRbrwD9mpd6D6fc4CswRw","multiaddrs":[],"join_ts_ns":1733836800000000001,"successor_token":[]}]}`;

Deno.test("join: the locked request frame decodes as protobuf", () => {
  const frame = fromHex(LOCKED_FRAME);
  assert.equal(new DataView(frame.buffer).getUint32(0), frame.length - 4);
  const request = decodeJoinRequest(frame.subarray(4));
  assert.deepEqual(request, {
    multiaddrs: [ADDR],
    authorization: "",
    encoding: "protobuf",
  });
});

Deno.test("join: the request frame auki-edge sends is the locked vector", async () => {
  await withNodes(async (client, server) => {
    const seen = Promise.withResolvers<Uint8Array>();
    await server.handle(JOIN, async (stream: Stream) => {
      const chunks: Uint8Array[] = [];
      stream.addEventListener("message", (e) => chunks.push(e.data.subarray()));
      const body = await new FrameReader(stream, JOIN_LIMITS).read();
      const raw = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      chunks.reduce((o, c) => (raw.set(c, o), o + c.length), 0);
      seen.resolve(raw);
      const request = decodeJoinRequest(body!);
      stream.send(encodeFrame(
        encodeJoinAnswer(
          { kind: "reject", reason: "cluster full" },
          request.encoding,
        ),
        JOIN_LIMITS,
      ));
      await stream.close();
    });
    const answer = await requestJoin(client, server.peerId, [ADDR], {
      encoding: "protobuf",
    });
    assert.equal(toHex(await seen.promise), LOCKED_FRAME);
    assert.deepEqual(answer, { kind: "reject", reason: "cluster full" });
  });
});

Deno.test("join: JSON requests, with and without authorization", () => {
  assert.deepEqual(
    decodeJoinRequest(encoder.encode(`{"multiaddrs":["${ADDR}"]}`)),
    { multiaddrs: [ADDR], authorization: "", encoding: "json" },
  );
  assert.deepEqual(
    decodeJoinRequest(
      encoder.encode(
        `{"multiaddrs":[],"authorization":"Bearer x","future":1}`,
      ),
    ),
    { multiaddrs: [], authorization: "Bearer x", encoding: "json" },
  );
});

Deno.test("join: protobuf requests with authorization, and the empty body", () => {
  const body = toBinary(
    JoinRequestSchema,
    create(JoinRequestSchema, {
      multiaddrs: [ADDR, "/ip4/10.0.0.1/tcp/1"],
      authorization: "Bearer jwt",
    }),
  );
  assert.deepEqual(decodeJoinRequest(body), {
    multiaddrs: [ADDR, "/ip4/10.0.0.1/tcp/1"],
    authorization: "Bearer jwt",
    encoding: "protobuf",
  });
  assert.deepEqual(decodeJoinRequest(new Uint8Array(0)), {
    multiaddrs: [],
    authorization: "",
    encoding: "protobuf",
  });
  // An empty JoinRequest goes on the wire as 00 00 00 00 and is accepted.
  assert.equal(
    toHex(encodeFrame(new Uint8Array(0), JOIN_LIMITS)),
    "00000000",
  );
});

Deno.test("join: malformed bodies are DropRequest", () => {
  const bad: Uint8Array[] = [
    encoder.encode("{"),
    encoder.encode("{}"),
    encoder.encode(`{"multiaddrs":"${ADDR}"}`),
    encoder.encode(`{"multiaddrs":[1]}`),
    encoder.encode(`{"multiaddrs":[],"authorization":7}`),
    Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d), // "{" then invalid UTF-8
    Uint8Array.of(0x0a, 0x05, 0x41), // a length past the end
    Uint8Array.of(0x0a, 0x02, 0xff, 0xfe), // a string that is not UTF-8
    Uint8Array.of(0x08), // a truncated varint
    Uint8Array.of(0x0f, 0x01), // a reserved wire type
  ];
  for (const body of bad) {
    assert.throws(
      () => decodeJoinRequest(body),
      (e) =>
        e instanceof DropRequest && /malformed (JSON|protobuf)/.test(e.message),
      `accepted ${toHex(body)}`,
    );
  }
});

Deno.test("join: JSON answers, accept and reject, in the JSON era's shape", () => {
  const accept = encodeJoinAnswer(
    { kind: "accept", membershipJson: MEMBERSHIP },
    "json",
  );
  assert.equal(
    decoder.decode(accept),
    `{"kind":"accept","membership_json":${
      JSON.stringify(MEMBERSHIP)
    },"successor_token":[]}`,
  );
  const reject = encodeJoinAnswer(
    { kind: "reject", reason: "not the manager" },
    "json",
  );
  assert.equal(
    decoder.decode(reject),
    `{"kind":"reject","reason":"not the manager"}`,
  );
  assert.deepEqual(decodeJoinAnswer(accept), {
    kind: "accept",
    membershipJson: MEMBERSHIP,
  });
  assert.deepEqual(decodeJoinAnswer(reject), {
    kind: "reject",
    reason: "not the manager",
  });
  // The membership string survives with its big integer intact.
  const envelope = parseJsonBytes(accept) as { membership_json: string };
  assert.equal(envelope.membership_json, MEMBERSHIP);
});

Deno.test("join: protobuf answers, accept and reject", () => {
  const accept = encodeJoinAnswer(
    { kind: "accept", membershipJson: MEMBERSHIP },
    "protobuf",
  );
  const decoded = fromBinary(JoinResponseSchema, accept);
  assert.equal(decoded.kind.case, "accept");
  assert.equal(decoded.kind.value?.membershipJson, MEMBERSHIP);
  assert.equal(
    (decoded.kind.value as { successorToken: Uint8Array }).successorToken
      .length,
    0,
  );
  // Field 1 (accept), then its field 1 (membership_json): no successor_token bytes.
  assert.equal(accept[0], 0x0a);
  const reject = encodeJoinAnswer(
    { kind: "reject", reason: "not the manager" },
    "protobuf",
  );
  // Field 2 (reject) of 17 bytes holding field 1 (reason) of 15.
  assert.equal(
    toHex(reject),
    "1211" + "0a0f" + toHex(encoder.encode("not the manager")),
  );
  assert.deepEqual(decodeJoinAnswer(accept), {
    kind: "accept",
    membershipJson: MEMBERSHIP,
  });
  assert.deepEqual(decodeJoinAnswer(reject), {
    kind: "reject",
    reason: "not the manager",
  });
});

Deno.test("join: answers that are neither accept nor reject throw", () => {
  assert.throws(() => decodeJoinAnswer(new Uint8Array(0)));
  assert.throws(() => decodeJoinAnswer(encoder.encode(`{"kind":"maybe"}`)));
  assert.throws(() => decodeJoinAnswer(encoder.encode(`{"kind":"accept"}`)));
  assert.throws(() => decodeJoinAnswer(Uint8Array.of(0x0a, 0x09)));
});

Deno.test("join: each encoding is answered in kind over a real substream", async () => {
  await withNodes(async (client, server) => {
    const requests: string[] = [];
    await server.handle(JOIN, async (stream: Stream) => {
      const body = await new FrameReader(stream, JOIN_LIMITS).read();
      const request = decodeJoinRequest(body!);
      requests.push(
        `${request.encoding} ${
          request.multiaddrs.join(",")
        } ${request.authorization}`,
      );
      stream.send(encodeFrame(
        encodeJoinAnswer(
          { kind: "accept", membershipJson: MEMBERSHIP },
          request.encoding,
        ),
        JOIN_LIMITS,
      ));
      await stream.close();
    });
    for (const encoding of ["json", "protobuf"] as const) {
      const answer = await requestJoin(client, server.peerId, [ADDR], {
        encoding,
        authorization: "Bearer t",
      });
      assert.deepEqual(answer, { kind: "accept", membershipJson: MEMBERSHIP });
    }
    assert.deepEqual(requests, [
      `json ${ADDR} Bearer t`,
      `protobuf ${ADDR} Bearer t`,
    ]);
  });
});
