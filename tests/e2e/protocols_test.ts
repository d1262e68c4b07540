import { withClient } from "../../cli/client.ts";
/**
 * End to end: one `auki-edge run` process with the four simulators, queried
 * from a separate client node over `/auki/info/0.0.1`,
 * `/auki/resources/0.2.0` and `/auki/registries/0.2.0`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import {
  canonicalJson,
  parseJson,
  parseJsonBytes,
} from "../../core/codec/json.ts";
import { xxh3Hex } from "../../core/codec/hash.ts";
import {
  type ResourceEntry,
  ResourcesResponse,
} from "../../agent/catalog/resource_entry.ts";
import { request } from "../../agent/protocols/exchange.ts";
import { INFO, REGISTRIES, RESOURCES } from "../../agent/protocols/ids.ts";
import { INFO_LIMITS } from "../../agent/protocols/info.ts";
import { REGISTRIES_LIMITS } from "../../agent/protocols/registries.ts";
import { RESOURCES_LIMITS } from "../../agent/protocols/resources.ts";
import {
  InfoRequestSchema,
  InfoResponseSchema,
} from "../../core/proto/gen/auki/info_pb.ts";
import {
  ClockEntry,
  FrameEntry,
  RegistryRef,
  SensorEntry,
} from "../../core/registries/entries.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import { SMALL_SIMS } from "./_helpers.ts";
import { delay } from "../helpers/wait.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The 11 ParticipantInfo fields in the Rust struct's order (spec wire.md 4.2). */
const PARTICIPANT_FIELDS = [
  "app",
  "name",
  "session_id",
  "session_clock_id",
  "session_clock_hash",
  "session_now_ns",
  "cluster_joined_at_ns",
  "peer_id",
  "app_instance",
  "is_manager",
  "manager_peer_id",
];

type Json = Record<string, unknown>;

async function infoProtobuf(node: Libp2p, target: Multiaddr): Promise<Json> {
  const body = toBinary(InfoRequestSchema, create(InfoRequestSchema));
  assert.equal(body.byteLength, 0, "InfoRequest{} is the empty body");
  const response = await request(node, target, INFO, body, INFO_LIMITS);
  assert.equal(response[0], 0x0a, "protobuf request, protobuf InfoResponse");
  const text = fromBinary(InfoResponseSchema, response).participantInfoJson;
  return parseJson(text) as Json;
}

async function infoJson(node: Libp2p, target: Multiaddr): Promise<Json> {
  const response = await request(
    node,
    target,
    INFO,
    encoder.encode("{}"),
    INFO_LIMITS,
  );
  assert.equal(response[0], 0x7b, "JSON request, JSON response");
  const envelope = parseJsonBytes(response) as Json;
  assert.deepEqual(Object.keys(envelope), ["participant_info_json"]);
  assert.equal(typeof envelope.participant_info_json, "string");
  return parseJson(envelope.participant_info_json as string) as Json;
}

async function registryGet(
  node: Libp2p,
  target: Multiaddr,
  kind: string,
  id: string,
  hash: string,
): Promise<{ text: string; entry: Json | null }> {
  const response = await request(
    node,
    target,
    REGISTRIES,
    encoder.encode(JSON.stringify({ kind, id, hash })),
    REGISTRIES_LIMITS,
  );
  const text = decoder.decode(response);
  return { text, entry: (parseJson(text) as { entry: Json | null }).entry };
}

async function resourcesRaw(
  node: Libp2p,
  target: Multiaddr,
  body: string,
): Promise<{ text: string; rows: ResourceEntry[]; raw: Json[] }> {
  const response = await request(
    node,
    target,
    RESOURCES,
    encoder.encode(body),
    RESOURCES_LIMITS,
  );
  const text = decoder.decode(response);
  const parsed = parseJson(text) as { resources: Json[] };
  assert.deepEqual(Object.keys(parsed), ["resources"]);
  assert.ok(Array.isArray(parsed.resources));
  return {
    text,
    rows: ResourcesResponse.parse(parsed).resources,
    raw: parsed.resources,
  };
}

Deno.test("info answers ParticipantInfo in the request's encoding", async () => {
  const agent = await startAgent({
    config: SMALL_SIMS,
    args: ["--name", "e2e-info"],
  });
  try {
    await withClient(async (node) => {
      const fromProtobuf = await infoProtobuf(node, agent.address);
      await delay(20);
      const fromJson = await infoJson(node, agent.address);
      await delay(20);
      const later = await infoProtobuf(node, agent.address);
      for (const info of [fromProtobuf, fromJson, later]) {
        assert.deepEqual(Object.keys(info), PARTICIPANT_FIELDS);
        assert.equal(info.app, "auki-edge");
        assert.equal(info.name, "e2e-info");
        assert.equal(info.peer_id, agent.peerId);
        assert.equal(typeof info.session_id, "string");
        assert.match(info.session_id as string, /^[0-9A-HJKMNP-TV-Z]{26}$/);
        assert.equal(
          info.session_clock_id,
          `${agent.peerId}/${info.session_id}/monotonic`,
        );
        assert.match(info.session_clock_hash as string, /^[0-9a-f]{32}$/);
        assert.equal(typeof info.session_now_ns, "number");
        assert.ok((info.session_now_ns as number) > 0);
        assert.equal(info.cluster_joined_at_ns, null);
        assert.equal(typeof info.app_instance, "string");
        assert.equal(info.is_manager, false);
        assert.equal(info.manager_peer_id, "");
      }
      // One session: same identity fields in both encodings.
      for (
        const field of [
          "session_id",
          "session_clock_id",
          "session_clock_hash",
          "app_instance",
        ]
      ) {
        assert.equal(fromJson[field], fromProtobuf[field], field);
        assert.equal(later[field], fromProtobuf[field], field);
      }
      // The session clock runs.
      assert.ok(
        (fromJson.session_now_ns as number) >
          (fromProtobuf.session_now_ns as number),
        "session_now_ns grows between requests",
      );
      assert.ok(
        (later.session_now_ns as number) -
            (fromProtobuf.session_now_ns as number) >=
          40_000_000,
        "40 ms passed between the first and last request",
      );

      // The session clock is the registered clock entry it names.
      const { entry } = await registryGet(
        node,
        agent.address,
        "clock",
        fromProtobuf.session_clock_id as string,
        fromProtobuf.session_clock_hash as string,
      );
      assert.ok(entry, "the session clock resolves in the registry");
      assert.equal(entry.hash, fromProtobuf.session_clock_hash);
      const clock = ClockEntry.parse(parseJson(entry.canonical_json as string));
      assert.equal(
        xxh3Hex(entry.canonical_json as string),
        fromProtobuf.session_clock_hash,
      );
      assert.equal(clock.clock_id, fromProtobuf.session_clock_id);
      assert.equal(clock.session_id, fromProtobuf.session_id);
      assert.equal(clock.peer_id, agent.peerId);
      assert.equal(clock.type, "monotonic_clock");
      assert.equal(clock.monotonic, true);
      assert.equal(clock.epoch, null);
      assert.equal(clock.scope, "device-local");
    });
  } finally {
    await agent.stop();
  }
});

Deno.test("resources lists every log, canonical, growing, and filters by variant", async () => {
  const agent = await startAgent({ config: SMALL_SIMS });
  try {
    await withClient(async (node) => {
      const first = await resourcesRaw(node, agent.address, "{}");
      assert.equal(
        first.text,
        canonicalJson(parseJson(first.text)),
        "rows are JCS canonical",
      );
      const info = await infoProtobuf(node, agent.address);
      const rows = first.rows;
      assert.equal(rows.length, 5);
      const sensorRows = rows.filter((r) => r.variant === "sensor_log");
      assert.deepEqual(
        sensorRows.map((r) => r.resource_id).sort(),
        ["sim_camera", "sim_joints", "sim_lidar", "sim_uwb"],
      );
      const kinds = Object.fromEntries(
        sensorRows.map((
          r,
        ) => [r.resource_id, `${r.sensor?.kind}/${r.sensor?.type}`]),
      );
      assert.deepEqual(kinds, {
        sim_camera: "camera/rgb",
        sim_lidar: "rangefinder/2d_lidar",
        sim_uwb: "rf/uwb",
        sim_joints: "joint_encoders/absolute",
      });
      const transforms = rows.filter((r) => r.variant === "time_transform_log");
      assert.equal(transforms.length, 1);
      const transform = transforms[0];

      for (const [i, row] of rows.entries()) {
        const raw = first.raw[i];
        assert.deepEqual(
          Object.keys(raw),
          row.variant === "sensor_log"
            ? [
              "available",
              "head",
              "manifest",
              "resource_id",
              "sensor",
              "source_peer_id",
              "state",
              "variant",
              "writer_peer_id",
            ]
            : [
              "available",
              "head",
              "manifest",
              "resource_id",
              "source_peer_id",
              "state",
              "variant",
              "writer_peer_id",
            ],
        );
        assert.equal(row.source_peer_id, agent.peerId);
        assert.equal(row.writer_peer_id, agent.peerId);
        assert.equal(row.state, "live");
        assert.equal(raw.extent, undefined, "live rows have no extent");
        const head = row.head;
        assert.ok(head?.kind === "rolling");
        assert.ok(head.retention_ns > 0n);
        assert.deepEqual(Object.keys(raw.available as Json), [
          "bytes",
          "duration_ns",
          "entries",
        ]);
        assert.ok(
          Number(row.available.entries) >= 1,
          `${row.resource_id} has entries`,
        );
        assert.ok(Number(row.available.bytes) > 0);
        if (row.variant === "sensor_log") {
          assert.deepEqual(Object.keys(row.manifest).sort(), [
            "clock",
            "frame",
          ]);
          const clock = RegistryRef.parse(row.manifest.clock);
          RegistryRef.parse(row.manifest.frame);
          assert.equal(clock.peer_id, agent.peerId);
          assert.equal(clock.id, `${agent.peerId}/${info.session_id}/utc`);
          assert.match(row.sensor!.sensor_hash, /^[0-9a-f]{32}$/);
          assert.equal(row.sensor!.sensor_id, row.resource_id);
          assert.equal(raw.pose, undefined);
        } else {
          assert.equal(raw.sensor, undefined);
          assert.deepEqual(Object.keys(row.manifest).sort(), [
            "from_clock",
            "source",
            "to_clock",
          ]);
          const from = RegistryRef.parse(row.manifest.from_clock);
          const to = RegistryRef.parse(row.manifest.to_clock);
          assert.equal(from.id, info.session_clock_id);
          assert.equal(from.hash, info.session_clock_hash);
          assert.equal(to.id, `${agent.peerId}/${info.session_id}/utc`);
          assert.deepEqual(row.manifest.source, { kind: "local_clock_read" });
          assert.equal(
            row.resource_id,
            `${from.id}->${to.id}`,
          );
          assert.equal(head.retention_ns, 3_600_000_000_000n);
        }
      }

      // `available` grows while the sensors run (the time transform at 1 Hz).
      await delay(1_300);
      const second = await resourcesRaw(node, agent.address, "{}");
      for (const before of rows) {
        const after = second.rows.find((r) =>
          r.resource_id === before.resource_id
        );
        assert.ok(after, `${before.resource_id} still listed`);
        const a = before.available;
        const b = after.available;
        assert.ok(
          Number(b.entries) > Number(a.entries),
          `${before.resource_id} entries grow`,
        );
        assert.ok(
          Number(b.bytes) > Number(a.bytes),
          `${before.resource_id} bytes grow`,
        );
        assert.ok(
          Number(b.duration_ns) > Number(a.duration_ns),
          `${before.resource_id} duration grows`,
        );
        assert.deepEqual(after.head, before.head);
      }
      assert.equal(second.rows.length, 5);
      assert.ok(transform);

      // The variants filter.
      const ids = (rs: ResourceEntry[]) => rs.map((r) => r.resource_id).sort();
      const all = ids(second.rows);
      const only = async (body: string) =>
        ids((await resourcesRaw(node, agent.address, body)).rows);
      assert.deepEqual(await only('{"variants":[]}'), all);
      assert.deepEqual(await only('{"variants":null}'), all);
      assert.deepEqual(
        await only('{"variants":["sensor_log"]}'),
        ["sim_camera", "sim_joints", "sim_lidar", "sim_uwb"],
      );
      assert.deepEqual(await only('{"variants":["time_transform_log"]}'), [
        transform.resource_id,
      ]);
      assert.deepEqual(
        await only('{"variants":["time_transform_log","sensor_log"]}'),
        all,
      );
      assert.deepEqual(
        await only('{"variants":["pose_log","detection_log"]}'),
        [],
      );
      const empty = await resourcesRaw(
        node,
        agent.address,
        '{"variants":["pose_log"]}',
      );
      assert.equal(empty.text, '{"resources":[]}');
    });
  } finally {
    await agent.stop();
  }
});

Deno.test("registries resolve every reference in the catalog", async () => {
  const agent = await startAgent({ config: SMALL_SIMS });
  try {
    await withClient(async (node) => {
      const { rows } = await resourcesRaw(node, agent.address, "{}");
      assert.equal(rows.length, 5);
      const refs: {
        kind: "sensor" | "clock" | "frame";
        ref: RegistryRef;
        row: ResourceEntry;
      }[] = [];
      for (const row of rows) {
        if (row.sensor) {
          refs.push({
            kind: "sensor",
            ref: {
              peer_id: row.source_peer_id,
              id: row.sensor.sensor_id,
              hash: row.sensor.sensor_hash,
            },
            row,
          });
        }
        for (const [field, value] of Object.entries(row.manifest)) {
          if (field === "source") continue;
          const kind = field === "frame" ? "frame" : "clock";
          refs.push({ kind, ref: RegistryRef.parse(value), row });
        }
      }
      assert.equal(refs.length, 4 * 3 + 2);

      const resolved = new Map<string, Json>();
      const resolve = async (
        kind: "sensor" | "clock" | "frame",
        ref: RegistryRef,
      ) => {
        assert.equal(
          ref.peer_id,
          agent.peerId,
          "every ref is owned by the agent",
        );
        const { entry } = await registryGet(
          node,
          agent.address,
          kind,
          ref.id,
          ref.hash,
        );
        assert.ok(entry, `${kind} ${ref.id} resolves`);
        assert.deepEqual(Object.keys(entry).sort(), [
          "canonical_json",
          "hash",
          "id",
          "kind",
        ]);
        assert.equal(entry.kind, kind);
        assert.equal(entry.id, ref.id);
        assert.equal(entry.hash, ref.hash);
        const canonical = entry.canonical_json as string;
        assert.equal(
          xxh3Hex(canonical),
          ref.hash,
          `${kind} ${ref.id} hashes to its ref`,
        );
        const value = parseJson(canonical);
        assert.equal(canonicalJson(value), canonical, "canonical_json is JCS");
        const parsed = (kind === "sensor"
          ? SensorEntry
          : kind === "clock"
          ? ClockEntry
          : FrameEntry)
          .parse(value) as Json;
        assert.equal(parsed.peer_id, ref.peer_id);
        assert.equal(parsed[`${kind}_id`], ref.id);
        resolved.set(`${kind}/${ref.id}`, parsed);
        return parsed;
      };

      for (const { kind, ref, row } of refs) {
        const parsed = await resolve(kind, ref);
        if (kind === "sensor") {
          assert.equal(parsed.kind, row.sensor!.kind);
          assert.equal(parsed.type, row.sensor!.type);
          // The sensor's own frame reference resolves, and is the row's frame.
          const frame = RegistryRef.parse(parsed.frame);
          assert.deepEqual(frame, RegistryRef.parse(row.manifest.frame));
          await resolve("frame", frame);
        }
      }
      const camera = resolved.get("sensor/sim_camera")!;
      assert.equal(camera.width, 64);
      assert.equal(camera.height, 48);
      assert.equal(camera.pixel_format, "rgb8");
      const utc = [...resolved.entries()].find(([k]) =>
        k.startsWith("clock/") && k.endsWith("/utc")
      );
      assert.ok(utc);
      assert.equal(utc[1].type, "utc_clock");
      assert.equal(utc[1].epoch, "1970-01-01T00:00:00Z");

      // Unknown references answer {"entry":null}.
      const sensorRef = refs.find((r) =>
        r.kind === "sensor"
      )!.ref;
      const misses: [string, string, string][] = [
        ["sensor", "no_such_sensor", "0".repeat(32)],
        ["sensor", sensorRef.id, "f".repeat(32)],
        ["frame", sensorRef.id, sensorRef.hash],
        ["detector", "yolo_v8", "031308c146a2f6f086713388dc01f60e"],
        ["map", "nothing", "0".repeat(32)],
      ];
      for (const [kind, id, hash] of misses) {
        const { text } = await registryGet(node, agent.address, kind, id, hash);
        assert.equal(text, '{"entry":null}', `${kind}/${id}/${hash}`);
      }
    });
  } finally {
    await agent.stop();
  }
});
