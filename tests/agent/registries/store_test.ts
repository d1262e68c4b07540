import assert from "node:assert/strict";
import { join } from "node:path";
import { xxh3Hex } from "../../../core/codec/hash.ts";
import type {
  ClockEntry,
  FrameEntry,
  SensorEntry,
} from "../../../core/registries/entries.ts";
import { hashEntry, RegistryStore } from "../../../agent/registries/store.ts";
import { withDir } from "../../helpers/temp_dir.ts";

// Locked vectors (tests/conformance/vectors/registry_*_m1.json).
const PEER = "test-peer";

const CAMERA = {
  color_space: "BT.709",
  distortion_model: "plumb_bob",
  frame: {
    hash: "03b86f32827ec6a25a5e619b2f36478b",
    id: "K1-AABBCCDDEEFF/head_left_cam_optical",
    peer_id: "test-peer",
  },
  frame_rate_hz: 20,
  height: 488,
  image_encoding: "raw",
  intrinsics_model: "pinhole",
  kind: "camera",
  peer_id: "test-peer",
  pixel_format: "YUV_NV12",
  row_stride_bytes: 544,
  sensor_id: "K1-AABBCCDDEEFF/head_left_cam",
  type: "rgb",
  width: 544,
} as const satisfies SensorEntry;
const CAMERA_JSON =
  '{"color_space":"BT.709","distortion_model":"plumb_bob","frame":{"hash":"03b86f32827ec6a25a5e619b2f36478b","id":"K1-AABBCCDDEEFF/head_left_cam_optical","peer_id":"test-peer"},"frame_rate_hz":20,"height":488,"image_encoding":"raw","intrinsics_model":"pinhole","kind":"camera","peer_id":"test-peer","pixel_format":"YUV_NV12","row_stride_bytes":544,"sensor_id":"K1-AABBCCDDEEFF/head_left_cam","type":"rgb","width":544}';
const CAMERA_HASH = "9306d67f99d38ced7c186c0f63734421";

const FRAME: FrameEntry = {
  axes: { x: "right", y: "down", z: "forward" },
  frame_id: "K1-AABBCCDDEEFF/head_left_cam_optical",
  handedness: "right",
  peer_id: "test-peer",
  units: "meters",
};
const FRAME_HASH = "03b86f32827ec6a25a5e619b2f36478b";

const CLOCK: ClockEntry = {
  clock_id: "K1-AABBCCDDEEFF/monotonic",
  epoch: null,
  monotonic: true,
  peer_id: "galbot",
  scope: "device-local",
  session_id: "sess-m1",
  type: "monotonic_clock",
  unit: "milliseconds",
};
const CLOCK_JSON =
  '{"clock_id":"K1-AABBCCDDEEFF/monotonic","epoch":null,"monotonic":true,"peer_id":"galbot","scope":"device-local","session_id":"sess-m1","type":"monotonic_clock","unit":"milliseconds"}';
const CLOCK_HASH = "107238adc0441893cbfd35c41b5ec989";

Deno.test("hashEntry: XXH3-128 of the canonical JSON (locked vectors)", () => {
  assert.deepEqual(hashEntry("sensor", CAMERA), {
    kind: "sensor",
    id: CAMERA.sensor_id,
    hash: CAMERA_HASH,
    canonicalJson: CAMERA_JSON,
  });
  assert.deepEqual(hashEntry("clock", CLOCK), {
    kind: "clock",
    id: CLOCK.clock_id,
    hash: CLOCK_HASH,
    canonicalJson: CLOCK_JSON,
  });
  assert.equal(hashEntry("frame", FRAME).hash, FRAME_HASH);
  assert.equal(xxh3Hex(CAMERA_JSON), CAMERA_HASH);
  // Member order of the input does not matter.
  const reordered = Object.fromEntries(
    Object.entries(CAMERA).reverse(),
  ) as unknown as SensorEntry;
  assert.equal(hashEntry("sensor", reordered).hash, CAMERA_HASH);
});

Deno.test("put: returns the reference; get finds exactly (kind, id, hash)", async () => {
  const store = new RegistryStore(PEER);
  const ref = await store.put("sensor", CAMERA);
  assert.deepEqual(ref, {
    peer_id: PEER,
    id: CAMERA.sensor_id,
    hash: CAMERA_HASH,
  });
  assert.deepEqual(await store.get("sensor", CAMERA.sensor_id, CAMERA_HASH), {
    kind: "sensor",
    id: CAMERA.sensor_id,
    hash: CAMERA_HASH,
    canonicalJson: CAMERA_JSON,
  });
  assert.deepEqual(await store.put("frame", FRAME), {
    peer_id: PEER,
    id: FRAME.frame_id,
    hash: FRAME_HASH,
  });
  // Anything not exactly matching is absent.
  assert.equal(
    await store.get("frame", CAMERA.sensor_id, CAMERA_HASH),
    undefined,
  );
  assert.equal(await store.get("sensor", "other", CAMERA_HASH), undefined);
  assert.equal(
    await store.get("sensor", CAMERA.sensor_id, FRAME_HASH),
    undefined,
  );
  assert.equal(
    await store.get("sensor", CAMERA.sensor_id, CAMERA_HASH.toUpperCase()),
    undefined,
  );
  assert.equal(
    await store.get("detector", CAMERA.sensor_id, CAMERA_HASH),
    undefined,
  );
  for (
    const kind of ["constructor", "toString", "__proto__", "hasOwnProperty"]
  ) {
    assert.equal(
      await store.get(kind, CAMERA.sensor_id, CAMERA_HASH),
      undefined,
    );
  }
});

Deno.test("put: a changed entry gets a new hash; both versions stay resolvable", async () => {
  const store = new RegistryStore(PEER);
  const first = await store.put("sensor", CAMERA);
  const second = await store.put("sensor", { ...CAMERA, frame_rate_hz: 30 });
  assert.notEqual(first.hash, second.hash);
  assert.equal(
    (await store.get("sensor", CAMERA.sensor_id, first.hash))?.canonicalJson,
    CAMERA_JSON,
  );
  const changed = await store.get("sensor", CAMERA.sensor_id, second.hash);
  assert.ok(changed !== undefined);
  assert.ok(changed.canonicalJson.includes('"frame_rate_hz":30'));
  assert.equal(xxh3Hex(changed.canonicalJson), second.hash);
});

Deno.test("put: invalid entries are rejected with the field named", async () => {
  const store = new RegistryStore(PEER);
  const cases: [unknown, RegExp][] = [
    [{ ...CAMERA, width: 0 }, /width/],
    [{ ...CAMERA, row_stride_bytes: 0 }, /row_stride_bytes/],
    [{ ...CAMERA, frame: { ...CAMERA.frame, hash: "xyz" } }, /frame\.hash/],
    [{ ...CAMERA, sensor_id: "a/../b" }, /sensor_id/],
    [
      { ...CAMERA, calibration: { fx: -1, fy: 1, cx: 0, cy: 0 } },
      /calibration\.fx/,
    ],
  ];
  for (const [entry, field] of cases) {
    await assert.rejects(
      store.put("sensor", entry as SensorEntry),
      (e) => e instanceof TypeError && field.test(e.message),
      String(field),
    );
  }
  await assert.rejects(
    store.put("clock", { ...CLOCK, peer_id: PEER, scope: "local" } as never),
    (e) => e instanceof TypeError && /scope/.test(e.message),
  );
  await assert.rejects(
    store.put("frame", {
      ...FRAME,
      axes: { x: "up", y: "down", z: "left" },
    }),
    (e) => e instanceof TypeError && /axis pairs/.test(e.message),
  );
  // The kind decides the schema: a camera is not a frame.
  await assert.rejects(
    store.put("frame", CAMERA as unknown as FrameEntry),
    (e) => e instanceof TypeError && /frame_id/.test(e.message),
  );
});

Deno.test("put: entries of other peers are rejected", async () => {
  const store = new RegistryStore(PEER);
  await assert.rejects(
    store.put("clock", CLOCK), // peer "galbot"
    (e) => e instanceof TypeError && /galbot/.test(e.message),
  );
  assert.equal(await store.get("clock", CLOCK.clock_id, CLOCK_HASH), undefined);
  const galbot = new RegistryStore("galbot");
  assert.equal((await galbot.put("clock", CLOCK)).hash, CLOCK_HASH);
});

Deno.test("persistence: entries are found again by a new store on the same root", async () => {
  await withDir(async (root) => {
    const store = new RegistryStore(PEER, root);
    await store.put("sensor", CAMERA);
    await store.put("frame", FRAME);
    const path = join(
      root,
      "sensor",
      PEER,
      "K1-AABBCCDDEEFF",
      "head_left_cam",
      `${CAMERA_HASH}.json`,
    );
    assert.equal(await Deno.readTextFile(path), CAMERA_JSON);

    const again = new RegistryStore(PEER, root);
    assert.deepEqual(await again.get("sensor", CAMERA.sensor_id, CAMERA_HASH), {
      kind: "sensor",
      id: CAMERA.sensor_id,
      hash: CAMERA_HASH,
      canonicalJson: CAMERA_JSON,
    });
    assert.equal(
      (await again.get("frame", FRAME.frame_id, FRAME_HASH))?.hash,
      FRAME_HASH,
    );
    assert.equal(
      await again.get("clock", FRAME.frame_id, FRAME_HASH),
      undefined,
    );
    // Another peer's store on the same root does not serve them.
    const other = new RegistryStore("someone-else", root);
    assert.equal(
      await other.get("sensor", CAMERA.sensor_id, CAMERA_HASH),
      undefined,
    );
    // Without a root nothing is read from disk.
    const memory = new RegistryStore(PEER);
    assert.equal(
      await memory.get("sensor", CAMERA.sensor_id, CAMERA_HASH),
      undefined,
    );
  });
});

Deno.test("get: path traversal ids never read files", async () => {
  await withDir(async (root) => {
    const store = new RegistryStore(PEER, root);
    // A genuine entry with id "b": its file is where "a/../b" would lead.
    const b = { ...FRAME, frame_id: "b" };
    const ref = await store.put("frame", b);
    const fresh = new RegistryStore(PEER, root);
    assert.equal((await fresh.get("frame", "b", ref.hash))?.id, "b");
    assert.equal(await fresh.get("frame", "a/../b", ref.hash), undefined);
    assert.equal(await fresh.get("frame", "./b", ref.hash), undefined);
    assert.equal(await fresh.get("frame", "a//b", ref.hash), undefined);

    // Valid entry files planted where "../x" and "../../x" would lead.
    const json = hashEntry("frame", b).canonicalJson;
    for (const dir of [join(root, "frame", "x"), join(root, "x")]) {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(join(dir, `${ref.hash}.json`), json);
    }
    assert.equal(await fresh.get("frame", "../x", ref.hash), undefined);
    assert.equal(await fresh.get("frame", "../../x", ref.hash), undefined);
    assert.equal(await fresh.get("frame", "..", ref.hash), undefined);
    // A hash that is not 32 hex digits is not a file name either.
    assert.equal(await fresh.get("frame", "b", "../b/" + ref.hash), undefined);
  });
});

Deno.test("get: only the owned kinds, never files under other names", async () => {
  await withDir(async (root) => {
    const json = hashEntry("frame", FRAME).canonicalJson;
    for (const kind of ["constructor", "toString", "__proto__", "detector"]) {
      const dir = join(root, kind, PEER, FRAME.frame_id);
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(join(dir, `${FRAME_HASH}.json`), json);
    }
    const store = new RegistryStore(PEER, root);
    for (const kind of ["constructor", "toString", "__proto__", "detector"]) {
      assert.equal(
        await store.get(kind, FRAME.frame_id, FRAME_HASH),
        undefined,
        kind,
      );
    }
  });
});

Deno.test("get: a tampered file is not served", async () => {
  await withDir(async (root) => {
    const store = new RegistryStore(PEER, root);
    const ref = await store.put("sensor", CAMERA);
    const path = join(
      root,
      "sensor",
      PEER,
      CAMERA.sensor_id,
      `${ref.hash}.json`,
    );
    for (
      const tampered of [
        CAMERA_JSON.replace('"width":544', '"width":545'),
        CAMERA_JSON + "\n",
        JSON.stringify(JSON.parse(CAMERA_JSON), null, 2),
        "",
      ]
    ) {
      await Deno.writeTextFile(path, tampered);
      const fresh = new RegistryStore(PEER, root);
      assert.equal(
        await fresh.get("sensor", CAMERA.sensor_id, ref.hash),
        undefined,
        JSON.stringify(tampered.slice(0, 40)),
      );
    }
    // Restored: served again.
    await Deno.writeTextFile(path, CAMERA_JSON);
    const fresh = new RegistryStore(PEER, root);
    assert.equal(
      (await fresh.get("sensor", CAMERA.sensor_id, ref.hash))?.canonicalJson,
      CAMERA_JSON,
    );
  });
});

Deno.test("put: unknown fields are refused, not silently dropped before hashing", async () => {
  const store = new RegistryStore(PEER);
  await assert.rejects(
    store.put("sensor", { ...CAMERA, exposure_us: 100 } as SensorEntry),
    /unknown field exposure_us/,
  );
});

Deno.test("put: an empty distortion list is omitted, as the SDK writes it", async () => {
  const store = new RegistryStore(PEER);
  const calibration = { fx: 300, fy: 300, cx: 272, cy: 244 };
  const without = await store.put("sensor", { ...CAMERA, calibration });
  const empty = await store.put("sensor", {
    ...CAMERA,
    calibration: { ...calibration, distortion_coefficients: [] },
  });
  assert.equal(empty.hash, without.hash);
  const stored = await store.get("sensor", CAMERA.sensor_id, empty.hash);
  assert.ok(!stored!.canonicalJson.includes("distortion_coefficients"));
});
