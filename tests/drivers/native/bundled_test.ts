import assert from "node:assert/strict";
import { join } from "node:path";
import {
  builtLibraryUrl,
  bundledLibraryPath,
  extractLibrary,
  nativeCacheDir,
} from "../../../drivers/native/bundled.ts";
import { ffiTest } from "../../ffi/_libs.ts";
import { withDir } from "../../helpers/temp_dir.ts";

Deno.test("bundled: extraction is content-addressed, reused and atomic", async () => {
  await withDir(async (dir) => {
    const source = join(dir, "libauki_x.so");
    await Deno.writeTextFile(source, "first");
    const first = await extractLibrary(source, join(dir, "cache"));
    assert.match(first, /\/cache\/[0-9a-f]{16}\/libauki_x\.so$/);
    assert.equal(await Deno.readTextFile(first), "first");
    assert.equal(await extractLibrary(source, join(dir, "cache")), first);
    await Deno.writeTextFile(source, "second");
    const second = await extractLibrary(source, join(dir, "cache"));
    assert.notEqual(second, first);
    assert.equal(await Deno.readTextFile(first), "first");
    const names = [];
    for await (const e of Deno.readDir(join(second, ".."))) names.push(e.name);
    assert.deepEqual(names, ["libauki_x.so"]);
  });
});

Deno.test("bundled: the cache follows AUKI_EDGE_NATIVE_CACHE, then XDG_CACHE_HOME", () => {
  const saved = ["AUKI_EDGE_NATIVE_CACHE", "XDG_CACHE_HOME"].map((k) =>
    [k, Deno.env.get(k)] as const
  );
  try {
    Deno.env.set("XDG_CACHE_HOME", "/xdg");
    Deno.env.delete("AUKI_EDGE_NATIVE_CACHE");
    assert.equal(nativeCacheDir(), "/xdg/auki-edge/native");
    Deno.env.set("AUKI_EDGE_NATIVE_CACHE", "/explicit");
    assert.equal(nativeCacheDir(), "/explicit");
  } finally {
    for (const [k, v] of saved) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  }
});

Deno.test("bundled: unknown names list the bundled drivers", async () => {
  await assert.rejects(
    bundledLibraryPath("ref_radar"),
    /"ref_radar" is neither a path \(it has no "\/"\) nor a bundled driver \(ref_camera, ref_lidar2d, ref_uwb, ref_joints\)/,
  );
});

ffiTest(
  "bundled: from a source checkout a bundled driver loads where it was built",
  async () => {
    assert.equal(
      await bundledLibraryPath("ref_uwb"),
      builtLibraryUrl("drivers", "ref_uwb").pathname,
    );
  },
);
