/**
 * Conformance against the 47 locked vectors of `aukilabs/auki-sdk` in
 * `tests/conformance/vectors/` (spec datatypes.md 7 and 8, wire.md 6, 8, 14).
 * Every vector file becomes its own test, named after its id; a vector whose
 * encoding, message or registry kind is not handled here fails.
 */
import assert from "node:assert/strict";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { z } from "zod";
import { canonicalJson, parseJson } from "../../core/codec/json.ts";
import { xxh3Hex } from "../../core/codec/hash.ts";
import {
  ClockEntry,
  FrameEntry,
  SensorEntry,
} from "../../core/registries/entries.ts";
import { hashEntry } from "../../agent/registries/store.ts";
import { ResourceEntry } from "../../agent/catalog/resource_entry.ts";
import { DataSchema as AudioDataSchema } from "../../core/proto/gen/auki/audio_pb.ts";
import { CameraFrameSchema } from "../../core/proto/gen/auki/camera_pb.ts";
import { DetectionFrameSchema } from "../../core/proto/gen/auki/detection_pb.ts";
import { DataSchema as JointEncodersDataSchema } from "../../core/proto/gen/auki/joint_encoders_pb.ts";
import { MapUpdateSchema } from "../../core/proto/gen/auki/map_pb.ts";
import { MessageSchema } from "../../core/proto/gen/auki/message_pb.ts";
import { DataSchema as PointCloudDataSchema } from "../../core/proto/gen/auki/point_cloud_pb.ts";
import { SpatialTransformSchema } from "../../core/proto/gen/auki/pose_pb.ts";
import { DataSchema as ScalarDataSchema } from "../../core/proto/gen/auki/scalar_pb.ts";
import { TimeTransformEntrySchema } from "../../core/proto/gen/auki/time_transform_pb.ts";
import {
  asObject,
  Fields,
  type JsonObject,
  requireCount,
  requireString,
  VECTOR_DIR,
} from "./_helpers.ts";
import { fromHex, toHex } from "../helpers/hex.ts";

const EXPECTED_VECTOR_COUNT = 47;
const encoder = new TextEncoder();

// ---------------------------------------------------------------------------
// Loading: the directory listing drives the tests, _index.json is the roster.

interface IndexRow {
  id: string;
  encoding: string;
  message: string | null;
}

const index = asObject(
  parseJson(Deno.readTextFileSync(new URL("_index.json", VECTOR_DIR))),
  "_index.json",
);
const indexRows = (index.vectors as unknown[]).map((row, i) => {
  const r = asObject(row, `_index.json vectors[${i}]`);
  return {
    id: requireString(r, "id"),
    encoding: requireString(r, "encoding"),
    message: r.message === null ? null : requireString(r, "message"),
  } satisfies IndexRow;
});

const vectorFiles = [...Deno.readDirSync(VECTOR_DIR)]
  .filter((e) =>
    e.isFile && e.name.endsWith(".json") && e.name !== "_index.json"
  )
  .map((e) => e.name)
  .sort();

/** Ids whose test ran to completion. */
const checked = new Set<string>();

Deno.test("conformance: the vector directory holds exactly the vectors of _index.json", () => {
  assert.equal(indexRows.length, EXPECTED_VECTOR_COUNT);
  const indexIds = indexRows.map((r) => r.id).sort();
  assert.equal(
    new Set(indexIds).size,
    indexIds.length,
    "_index.json repeats an id",
  );
  assert.deepEqual(vectorFiles.map((f) => f.replace(/\.json$/, "")), indexIds);
  const extras = [...Deno.readDirSync(VECTOR_DIR)]
    .map((e) => e.name)
    .filter((n) => n !== "_index.json" && !n.endsWith(".json"));
  assert.deepEqual(
    extras,
    [],
    "unexpected non-JSON entries in the vector directory",
  );
});

// ---------------------------------------------------------------------------
// Protobuf vectors.

/** What a protobuf vector builds from its input, and how its decode is checked. */
interface ProtoPlan<D extends DescMessage> {
  init: MessageInitShape<D>;
  verify(decoded: MessageShape<D>): void;
}

interface ProtoCase {
  schema: DescMessage;
  plan(input: Fields): ProtoPlan<DescMessage>;
}

function protoCase<D extends DescMessage>(
  schema: D,
  plan: (input: Fields) => ProtoPlan<D>,
): ProtoCase {
  return { schema, plan: plan as unknown as ProtoCase["plan"] };
}

function equalBytes(
  actual: Uint8Array,
  expected: Uint8Array,
  what: string,
): void {
  assert.equal(toHex(actual), toHex(expected), what);
}

/** A single `bytes data = 1` payload (point cloud, audio). */
function dataBytesCase(
  schema: typeof PointCloudDataSchema | typeof AudioDataSchema,
): ProtoCase {
  return protoCase(schema, (input) => {
    const data = input.bytes("data");
    return {
      init: { data },
      verify: (m) => equalBytes(m.data, data, "data"),
    };
  });
}

const PROTOBUF_CASES: Record<string, ProtoCase> = {
  "auki.camera.CameraFrame": protoCase(CameraFrameSchema, (input) => {
    const di = input.optionalObject("dynamic_intrinsics");
    const intrinsics = di && {
      fx: di.number("fx"),
      fy: di.number("fy"),
      cx: di.number("cx"),
      cy: di.number("cy"),
      distortionCoefficients: di.numbers("distortion_coefficients"),
    };
    di?.done();
    const frame = input.bytes("frame");
    return {
      init: { dynamicIntrinsics: intrinsics, frame },
      verify(m) {
        equalBytes(m.frame, frame, "frame");
        if (intrinsics === undefined) {
          assert.equal(
            m.dynamicIntrinsics,
            undefined,
            "dynamic_intrinsics must be absent",
          );
          return;
        }
        const d = m.dynamicIntrinsics;
        assert.ok(d !== undefined, "dynamic_intrinsics must be present");
        assert.equal(d.fx, intrinsics.fx);
        assert.equal(d.fy, intrinsics.fy);
        assert.equal(d.cx, intrinsics.cx);
        assert.equal(d.cy, intrinsics.cy);
        assert.deepEqual(
          d.distortionCoefficients,
          intrinsics.distortionCoefficients,
        );
      },
    };
  }),

  "auki.point_cloud.Data": dataBytesCase(PointCloudDataSchema),

  "auki.audio.Data": dataBytesCase(AudioDataSchema),

  "auki.joint_encoders.Data": protoCase(JointEncodersDataSchema, (input) => {
    const anglesRad = input.numbers("angles_rad");
    return {
      init: { anglesRad },
      verify(m) {
        // float32 on the wire: compare with the binary32 rounding of the input.
        assert.deepEqual(m.anglesRad, anglesRad.map(Math.fround));
      },
    };
  }),

  "auki.pose.SpatialTransform": protoCase(SpatialTransformSchema, (input) => {
    const t = input.optionalObject("translation");
    const o = input.optionalObject("orientation");
    const translation = t &&
      { x: t.number("x"), y: t.number("y"), z: t.number("z") };
    const orientation = o &&
      {
        x: o.number("x"),
        y: o.number("y"),
        z: o.number("z"),
        w: o.number("w"),
      };
    t?.done();
    o?.done();
    return {
      init: { translation, orientation },
      verify(m) {
        if (translation === undefined) assert.equal(m.translation, undefined);
        else {
          assert.ok(m.translation !== undefined, "translation must be present");
          const { x, y, z } = m.translation;
          assert.deepEqual({ x, y, z }, translation);
        }
        if (orientation === undefined) assert.equal(m.orientation, undefined);
        else {
          assert.ok(m.orientation !== undefined, "orientation must be present");
          const { x, y, z, w } = m.orientation;
          assert.deepEqual({ x, y, z, w }, orientation);
        }
      },
    };
  }),

  "auki.time_transform.TimeTransformEntry": protoCase(
    TimeTransformEntrySchema,
    (input) => {
      const offsetNs = input.int64("offset_ns");
      const uncertaintyNs = input.integer("uncertainty_ns");
      return {
        init: { offsetNs, uncertaintyNs },
        verify(m) {
          assert.equal(m.offsetNs, offsetNs);
          assert.equal(m.uncertaintyNs, uncertaintyNs);
        },
      };
    },
  ),

  "auki.detection.DetectionFrame": protoCase(DetectionFrameSchema, (input) => {
    const data = input.bytes("data");
    const sensorHash = input.string("sensor_hash");
    const type = input.string("type");
    return {
      init: { data, sensorHash, type },
      verify(m) {
        equalBytes(m.data, data, "data");
        assert.equal(m.sensorHash, sensorHash);
        assert.equal(m.type, type);
      },
    };
  }),

  "auki.scalar.Data": protoCase(ScalarDataSchema, (input) => {
    const value = input.number("value");
    return { init: { value }, verify: (m) => assert.equal(m.value, value) };
  }),

  "auki.message.Message": protoCase(MessageSchema, (input) => {
    const type = input.string("type");
    const timestampNs = input.int64("timestamp_ns");
    const payload = input.bytes("payload");
    return {
      init: { type, timestampNs, payload },
      verify(m) {
        assert.equal(m.type, type);
        assert.equal(m.timestampNs, timestampNs);
        equalBytes(m.payload, payload, "payload");
      },
    };
  }),

  "auki.map.MapUpdate": protoCase(MapUpdateSchema, (input) => {
    const chunks = input.objects("voxel_chunks").map((c) => {
      const voxels = c.objects("voxels").map((v) => {
        const semantics = v.objects("semantics").map((s) => {
          const sem = {
            classId: s.integer("class_id"),
            evidenceDelta: s.number("evidence_delta"),
          };
          s.done();
          return sem;
        });
        const voxel = {
          x: v.integer("x"),
          y: v.integer("y"),
          z: v.integer("z"),
          occupancyDelta: v.number("occupancy_delta"),
          semantics,
        };
        v.absent("color");
        v.done();
        return voxel;
      });
      const chunk = {
        chunkX: c.integer("chunk_x"),
        chunkY: c.integer("chunk_y"),
        chunkZ: c.integer("chunk_z"),
        voxels,
      };
      c.done();
      return chunk;
    });
    const checkpoint = input.optionalObject("checkpoint");
    assert.equal(
      checkpoint,
      undefined,
      "checkpoint vectors are not modelled by this test",
    );
    input.absent("portal_observations");
    input.absent("portal_checkpoint");
    return {
      init: { voxelChunks: chunks },
      verify(m) {
        assert.equal(m.checkpoint, undefined);
        assert.equal(m.voxelChunks.length, chunks.length);
        m.voxelChunks.forEach((c, i) => {
          const e = chunks[i];
          assert.deepEqual([c.chunkX, c.chunkY, c.chunkZ], [
            e.chunkX,
            e.chunkY,
            e.chunkZ,
          ]);
          assert.equal(c.voxels.length, e.voxels.length);
          c.voxels.forEach((v, j) => {
            const ev = e.voxels[j];
            assert.deepEqual([v.x, v.y, v.z], [ev.x, ev.y, ev.z]);
            // float32 fields.
            assert.equal(v.occupancyDelta, Math.fround(ev.occupancyDelta));
            assert.deepEqual(
              v.semantics.map((s) => [s.classId, s.evidenceDelta]),
              ev.semantics.map((
                s,
              ) => [s.classId, Math.fround(s.evidenceDelta)]),
            );
          });
        });
      },
    };
  }),
};

function checkProtobuf(vector: JsonObject): void {
  const message = requireString(vector, "message");
  const kase = PROTOBUF_CASES[message];
  if (kase === undefined) {
    throw new Error(`unhandled protobuf message ${message}`);
  }
  assert.equal(
    kase.schema.typeName,
    message,
    "schema mapped to the wrong message",
  );

  const expectedHex = requireString(vector, "expected_hex");
  const expectedLen = requireCount(vector, "expected_len");
  assert.equal(
    expectedHex.length,
    2 * expectedLen,
    "expected_hex disagrees with expected_len",
  );
  const expected = fromHex(expectedHex);

  const input = new Fields(asObject(vector.input, "input"), "input");
  const plan = kase.plan(input);
  input.done();

  // Encode from the input: exact bytes.
  const encoded = toBinary(kase.schema, create(kase.schema, plan.init));
  assert.equal(toHex(encoded), expectedHex, "encoded bytes");
  assert.equal(encoded.byteLength, expectedLen, "encoded length");

  // Decode the locked bytes: the fields come back.
  const decoded = fromBinary(kase.schema, expected);
  plan.verify(decoded);
  // And the decoded message re-encodes to the same bytes.
  assert.equal(
    toHex(toBinary(kase.schema, decoded)),
    expectedHex,
    "re-encoded bytes",
  );

  if (Object.hasOwn(vector, "expected_xxh3_128_of_bytes")) {
    assert.equal(
      xxh3Hex(encoded),
      requireString(vector, "expected_xxh3_128_of_bytes"),
      "XXH3-128 of the encoded bytes",
    );
  }
}

// ---------------------------------------------------------------------------
// JCS JSON vectors.

interface JcsExpectation {
  canonical: string;
  hex: string;
  len: number;
  hash: string;
}

function jcsExpectation(vector: JsonObject): JcsExpectation {
  const exp = {
    canonical: requireString(vector, "expected_canonical_json"),
    hex: requireString(vector, "expected_hex"),
    len: requireCount(vector, "expected_len"),
    hash: requireString(vector, "expected_xxh3_128"),
  };
  assert.match(exp.hash, /^[0-9a-f]{32}$/);
  // The vector is self-consistent before the codecs are judged against it.
  assert.equal(
    toHex(encoder.encode(exp.canonical)),
    exp.hex,
    "vector: canonical JSON vs hex",
  );
  assert.equal(exp.hex.length, 2 * exp.len, "vector: hex vs length");
  return exp;
}

/** Canonical text matches the vector in text, bytes, length and hash. */
function assertCanonical(
  actual: string,
  exp: JcsExpectation,
  what: string,
): void {
  assert.equal(actual, exp.canonical, `${what}: canonical JSON`);
  const bytes = encoder.encode(actual);
  assert.equal(toHex(bytes), exp.hex, `${what}: canonical bytes`);
  assert.equal(bytes.byteLength, exp.len, `${what}: canonical length`);
  assert.equal(xxh3Hex(bytes), exp.hash, `${what}: XXH3-128`);
}

const REGISTRY_SCHEMAS: Record<
  "sensor" | "clock" | "frame",
  z.ZodType<SensorEntry | ClockEntry | FrameEntry>
> = { sensor: SensorEntry, clock: ClockEntry, frame: FrameEntry };
const REGISTRY_ID_FIELD = {
  sensor: "sensor_id",
  clock: "clock_id",
  frame: "frame_id",
} as const;

function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    assert.fail(
      `${what} was rejected by its schema: ${
        JSON.stringify(result.error.issues)
      }`,
    );
  }
  return result.data;
}

function checkRegistryEntry(
  kind: keyof typeof REGISTRY_SCHEMAS,
  vector: JsonObject,
  exp: JcsExpectation,
): void {
  const schema = REGISTRY_SCHEMAS[kind];
  const input = asObject(vector.input, "input");

  // The input validates, and hashEntry canonicalizes and hashes it exactly.
  const entry = parseWith(schema, input, `${kind} entry`);
  const stored = hashEntry(kind, entry);
  assertCanonical(stored.canonicalJson, exp, "hashEntry");
  assert.equal(stored.hash, exp.hash, "hashEntry hash");
  assert.equal(stored.kind, kind);
  assert.equal(stored.id, input[REGISTRY_ID_FIELD[kind]], "hashEntry id");

  // canonicalJson of the raw input agrees (the schema neither adds nor drops members).
  assertCanonical(canonicalJson(input), exp, "canonicalJson(input)");

  // The canonical text parses, validates and re-canonicalizes byte-identically.
  const reparsed = parseJson(exp.canonical);
  assertCanonical(
    canonicalJson(reparsed),
    exp,
    "canonicalJson(parseJson(expected))",
  );
  const revalidated = hashEntry(
    kind,
    parseWith(schema, reparsed, `re-parsed ${kind} entry`),
  );
  assertCanonical(revalidated.canonicalJson, exp, "hashEntry(parse(expected))");
}

function checkCatalogRow(vector: JsonObject, exp: JcsExpectation): void {
  const input = asObject(vector.input, "input");
  assertCanonical(canonicalJson(input), exp, "canonicalJson(input)");

  const parsed = parseWith(
    ResourceEntry,
    parseJson(exp.canonical),
    "catalog row",
  );
  // Zod turns every integer into a bigint; the bytes must not change.
  assert.equal(typeof parsed.available.bytes, "bigint");
  const available = asObject(input.available, "input.available");
  assert.equal(parsed.available.bytes, BigInt(available.bytes as number));
  assert.equal(parsed.available.entries, BigInt(available.entries as number));
  assert.equal(
    parsed.available.duration_ns,
    BigInt(available.duration_ns as number),
  );
  assertCanonical(
    canonicalJson(parsed),
    exp,
    "canonicalJson(ResourceEntry.parse(expected))",
  );
  assertCanonical(
    canonicalJson(parseWith(ResourceEntry, input, "catalog row input")),
    exp,
    "canonicalJson(ResourceEntry.parse(input))",
  );
}

function checkStreamRequestJson(vector: JsonObject, exp: JcsExpectation): void {
  const input = asObject(vector.input, "input");
  const inputFrom = asObject(input.from, "input.from");
  const ts = inputFrom.from_timestamp;
  assert.equal(
    typeof ts,
    "bigint",
    "from_timestamp beyond 2^53 must parse as bigint",
  );
  assert.ok((ts as bigint) > BigInt(Number.MAX_SAFE_INTEGER));
  assertCanonical(canonicalJson(input), exp, "canonicalJson(input)");

  const parsed = asObject(parseJson(exp.canonical), "expected_canonical_json");
  const from = asObject(parsed.from, "from");
  assert.equal(from.from_timestamp, 1733836800000000000n);
  assert.equal(from.from_timestamp, ts);
  assert.equal(parsed.resource_id, input.resource_id);
  assert.equal(parsed.source_peer_id, input.source_peer_id);
  assertCanonical(
    canonicalJson(parsed),
    exp,
    "canonicalJson(parseJson(expected))",
  );
}

function checkJcs(vector: JsonObject): void {
  const kind = requireString(vector, "registry_kind");
  const exp = jcsExpectation(vector);
  switch (kind) {
    case "sensor":
    case "clock":
    case "frame":
      return checkRegistryEntry(kind, vector, exp);
    case "catalog":
      return checkCatalogRow(vector, exp);
    case "stream_request_json":
      return checkStreamRequestJson(vector, exp);
    default:
      throw new Error(`unhandled jcs_json registry_kind ${kind}`);
  }
}

// ---------------------------------------------------------------------------
// XXH3-128 primitive vectors.

function checkXxh3(vector: JsonObject): void {
  const input = new Fields(asObject(vector.input, "input"), "input");
  const bytes = input.bytes("bytes");
  input.done();
  const expected = requireString(vector, "expected");
  assert.match(expected, /^[0-9a-f]{32}$/);
  assert.equal(xxh3Hex(bytes), expected);
  // The string overload hashes the UTF-8 bytes.
  assert.equal(xxh3Hex(new TextDecoder().decode(bytes)), expected);
}

// ---------------------------------------------------------------------------
// One test per vector file.

for (const file of vectorFiles) {
  const id = file.replace(/\.json$/, "");
  Deno.test(`conformance vector: ${id}`, () => {
    const vector = asObject(
      parseJson(Deno.readTextFileSync(new URL(file, VECTOR_DIR))),
      file,
    );
    assert.equal(vector.id, id, "file name and id differ");
    assert.equal(vector.repo, "aukilabs/auki-sdk");
    const row = indexRows.find((r) => r.id === id);
    assert.ok(row, `${id} is not listed in _index.json`);
    const encoding = requireString(vector, "encoding");
    assert.equal(encoding, row.encoding, "encoding differs from _index.json");
    const indexedMessage = encoding === "jcs_json"
      ? vector.registry_kind
      : vector.message ?? null;
    assert.equal(
      indexedMessage,
      row.message,
      "message/registry_kind differs from _index.json",
    );

    switch (encoding) {
      case "protobuf":
        checkProtobuf(vector);
        break;
      case "jcs_json":
        checkJcs(vector);
        break;
      case "xxh3_128_hex":
        checkXxh3(vector);
        break;
      default:
        throw new Error(`unhandled vector encoding ${encoding}`);
    }
    checked.add(id);
  });
}

Deno.test("conformance: every indexed vector was checked", () => {
  const missing = indexRows.map((r) => r.id).filter((id) => !checked.has(id));
  assert.deepEqual(missing, [], "vectors not checked (or failed)");
  assert.equal(checked.size, EXPECTED_VECTOR_COUNT);
});
