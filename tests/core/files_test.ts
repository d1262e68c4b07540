import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileAtomic } from "../../core/files.ts";
import { withDir } from "../helpers/temp_dir.ts";

async function names(dir: string): Promise<string[]> {
  const found = [];
  for await (const item of Deno.readDir(dir)) found.push(item.name);
  return found.sort();
}

Deno.test("writeFileAtomic replaces the file by rename and leaves no temporary file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "state.json");
    await writeFileAtomic(path, "first\n");
    const first = await Deno.stat(path);
    await writeFileAtomic(path, new TextEncoder().encode("second\n"));
    assert.notEqual((await Deno.stat(path)).ino, first.ino);
    assert.equal(await Deno.readTextFile(path), "second\n");
    assert.deepEqual(await names(dir), ["state.json"]);
  });
});

Deno.test("writeFileAtomic as the sole writer reuses a temporary file left by a crash", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "manifest.json");
    await Deno.writeTextFile(`${path}.tmp`, "garbage from a crash ".repeat(50));
    await writeFileAtomic(path, "{}", { soleWriter: true, sync: true });
    assert.equal(await Deno.readTextFile(path), "{}");
    assert.deepEqual(await names(dir), ["manifest.json"]);
  });
});

Deno.test("writeFileAtomic applies the mode and concurrent writers never collide", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "lib.so");
    await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => writeFileAtomic(path, `writer ${i}`, { mode: 0o700 }),
      ),
    );
    assert.match(await Deno.readTextFile(path), /^writer \d$/);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o700);
    assert.deepEqual(await names(dir), ["lib.so"]);
  });
});

Deno.test("writeFileAtomic into a missing folder fails and leaves nothing", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      writeFileAtomic(join(dir, "missing", "x.json"), "{}"),
      Deno.errors.NotFound,
    );
    assert.deepEqual(await names(dir), []);
  });
});
