import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type LogManifest,
  MANIFEST_FILE,
  readManifest,
  writeManifest,
} from "../../../agent/logs/manifest.ts";
import { withDir } from "../../helpers/temp_dir.ts";

const SENSOR_REF = {
  peer_id: "12D3KooWAvnEo4RaYZtqt2w83qzmQ7WVW2HhN2cay95EXAiVKcar",
  id: "head/left",
  hash: "9306d67f99d38ced7c186c0f63734421",
};

Deno.test("manifest file name", () => {
  assert.equal(MANIFEST_FILE, "log_manifest.json");
});

Deno.test("writeManifest: JCS bytes (sorted keys, bare integers, no whitespace)", async () => {
  await withDir(async (dir) => {
    const manifest: LogManifest = {
      writer_peer_id: "w",
      segment_duration_ns: 60_000_000_000n,
      retention_ns: 3_600_000_000_000n,
      app_id: "auki-edge",
      sensor: SENSOR_REF,
      created_ns: 1_700_000_000_123_456_789n,
      note: null,
    };
    await writeManifest(dir, manifest);
    const text = await Deno.readTextFile(join(dir, MANIFEST_FILE));
    assert.equal(
      text,
      '{"app_id":"auki-edge","created_ns":1700000000123456789,"note":null,' +
        '"retention_ns":3600000000000,"segment_duration_ns":60000000000,' +
        '"sensor":{"hash":"9306d67f99d38ced7c186c0f63734421","id":"head/left",' +
        '"peer_id":"12D3KooWAvnEo4RaYZtqt2w83qzmQ7WVW2HhN2cay95EXAiVKcar"},' +
        '"writer_peer_id":"w"}',
    );
  });
});

Deno.test("readManifest: round trip with bigints and caller fields verbatim", async () => {
  await withDir(async (dir) => {
    const manifest: LogManifest = {
      segment_duration_ns: 1_000_000_000n,
      retention_ns: 0n,
      app_id: "auki-edge",
      sensor: SENSOR_REF,
      list: [1, "two", { three: 3.5 }],
      created_ns: 1_700_000_000_123_456_789n,
    };
    await writeManifest(dir, manifest);
    const read = await readManifest(dir);
    assert.deepEqual(read, manifest);
    assert.equal(typeof read!.segment_duration_ns, "bigint");
    assert.equal(typeof read!.retention_ns, "bigint");
  });
});

Deno.test("readManifest: a directory without a manifest gives undefined", async () => {
  await withDir(async (dir) => {
    assert.equal(await readManifest(dir), undefined);
  });
});

Deno.test("readManifest: small integers on disk are read as bigints", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, MANIFEST_FILE),
      '{ "segment_duration_ns": 1000, "retention_ns": 0, "x": 1 }',
    );
    assert.deepEqual(await readManifest(dir), {
      segment_duration_ns: 1000n,
      retention_ns: 0n,
      x: 1,
    });
  });
});

Deno.test("writeManifest: atomic replace, no temporary file left", async () => {
  await withDir(async (dir) => {
    const path = join(dir, MANIFEST_FILE);
    // A temporary file left by an earlier crash must not matter.
    await Deno.writeTextFile(`${path}.tmp`, "garbage from a crash ".repeat(50));
    await writeManifest(dir, {
      segment_duration_ns: 10n,
      retention_ns: 20n,
      long: "x".repeat(200),
    });
    const first = await Deno.stat(path);
    await writeManifest(dir, { segment_duration_ns: 10n, retention_ns: 30n });
    const second = await Deno.stat(path);
    // Replaced by rename (a new inode), not rewritten in place.
    assert.notEqual(second.ino, first.ino);
    assert.equal(
      await Deno.readTextFile(path),
      '{"retention_ns":30,"segment_duration_ns":10}',
    );
    const names = [];
    for await (const item of Deno.readDir(dir)) names.push(item.name);
    assert.deepEqual(names, [MANIFEST_FILE]);
  });
});

Deno.test("writeManifest: rejects invalid manifests and writes nothing", async () => {
  await withDir(async (dir) => {
    const bad = [
      { segment_duration_ns: 0n, retention_ns: 0n },
      { segment_duration_ns: -1n, retention_ns: 0n },
      { segment_duration_ns: 1n, retention_ns: -1n },
      { retention_ns: 0n },
      { segment_duration_ns: 1n },
    ];
    for (const manifest of bad) {
      await assert.rejects(
        writeManifest(dir, manifest as unknown as LogManifest),
        TypeError,
        JSON.stringify(manifest, (_k, v) => typeof v === "bigint" ? `${v}` : v),
      );
    }
    const names = [];
    for await (const item of Deno.readDir(dir)) names.push(item.name);
    assert.deepEqual(names, []);
  });
});

Deno.test("readManifest: rejects bad manifests", async () => {
  await withDir(async (dir) => {
    const cases: [string, RegExp][] = [
      ["[]", /not a JSON object/],
      ["null", /not a JSON object/],
      ['"text"', /not a JSON object/],
      ["42", /not a JSON object/],
      ['{"retention_ns":0}', /segment_duration_ns/],
      ['{"segment_duration_ns":0,"retention_ns":0}', /segment_duration_ns/],
      ['{"segment_duration_ns":-5,"retention_ns":0}', /segment_duration_ns/],
      ['{"segment_duration_ns":1.5,"retention_ns":0}', /segment_duration_ns/],
      ['{"segment_duration_ns":"60","retention_ns":0}', /segment_duration_ns/],
      ['{"segment_duration_ns":1e30,"retention_ns":0}', /segment_duration_ns/],
      ['{"segment_duration_ns":1}', /retention_ns/],
      ['{"segment_duration_ns":1,"retention_ns":-1}', /retention_ns/],
      ['{"segment_duration_ns":1,"retention_ns":null}', /retention_ns/],
      ['{"segment_duration_ns":1,"retention_ns":0.5}', /retention_ns/],
    ];
    for (const [text, message] of cases) {
      await Deno.writeTextFile(join(dir, MANIFEST_FILE), text);
      await assert.rejects(readManifest(dir), message, text);
    }
    await Deno.writeTextFile(join(dir, MANIFEST_FILE), "{not json");
    await assert.rejects(readManifest(dir), SyntaxError);
  });
});

Deno.test("readManifest: integers beyond 2^53 are exact", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, MANIFEST_FILE),
      '{"retention_ns":9007199254740993,"segment_duration_ns":18446744073709551615}',
    );
    const manifest = await readManifest(dir);
    assert.equal(manifest!.retention_ns, 9007199254740993n);
    assert.equal(manifest!.segment_duration_ns, 18446744073709551615n);
  });
});
