import assert from "node:assert/strict";
import { join } from "node:path";
import {
  loadOrCreateSeed,
  SeedFileError,
} from "../../../agent/identity/seed_file.ts";
import { withDir } from "../../helpers/temp_dir.ts";

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of Deno.readDir(dir)) names.push(item.name);
  return names.sort();
}

async function writeSeed(path: string, bytes: Uint8Array, mode: number) {
  await Deno.writeFile(path, bytes);
  await Deno.chmod(path, mode); // explicit: independent of the umask
}

Deno.test("loadOrCreateSeed: mints 32 random bytes with mode 0600 when absent", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "nested", "identity", "seed");
    const seed = await loadOrCreateSeed(path);
    assert.equal(seed.byteLength, 32);
    assert.ok(seed.some((b) => b !== 0), "an all-zero seed is not random");
    const info = await Deno.stat(path);
    assert.ok(info.isFile);
    assert.equal(info.mode! & 0o777, 0o600);
    assert.deepEqual(await Deno.readFile(path), seed);
    // No temporary files are left next to it.
    assert.deepEqual(await listDir(join(dir, "nested", "identity")), ["seed"]);
    // The directory it created is private to the owner.
    const parent = await Deno.stat(join(dir, "nested", "identity"));
    assert.equal(parent.mode! & 0o077, 0);
    // Two different files get different seeds.
    const other = await loadOrCreateSeed(join(dir, "other"));
    assert.notDeepEqual(other, seed);
  });
});

Deno.test("loadOrCreateSeed: reuses an existing seed", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "seed");
    const first = await loadOrCreateSeed(path);
    const second = await loadOrCreateSeed(path);
    assert.deepEqual(second, first);
    // A seed written by someone else (mode 0600 or 0400) is used as is.
    const mine = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    await writeSeed(path, mine, 0o600);
    assert.deepEqual(await loadOrCreateSeed(path), mine);
    await writeSeed(path, mine, 0o400);
    assert.deepEqual(await loadOrCreateSeed(path), mine);
  });
});

Deno.test("loadOrCreateSeed: concurrent first runs agree on one seed", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "seed");
    const seeds = await Promise.all(
      Array.from({ length: 4 }, () => loadOrCreateSeed(path)),
    );
    for (const seed of seeds) assert.deepEqual(seed, seeds[0]);
    assert.deepEqual(await Deno.readFile(path), seeds[0]);
    assert.deepEqual(await listDir(dir), ["seed"]);
  });
});

Deno.test("loadOrCreateSeed: refuses a seed readable by group or others", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "seed");
    const seed = new Uint8Array(32).fill(9);
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666]) {
      await writeSeed(path, seed, mode);
      await assert.rejects(
        loadOrCreateSeed(path),
        (e) =>
          e instanceof SeedFileError &&
          e.message.includes(`chmod 600 ${path}`) &&
          e.message.includes(mode.toString(8)),
        mode.toString(8),
      );
      // The file is left alone.
      assert.equal((await Deno.stat(path)).mode! & 0o777, mode);
      assert.deepEqual(await Deno.readFile(path), seed);
    }
  });
});

Deno.test("loadOrCreateSeed: refuses a seed that is not 32 bytes", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "seed");
    for (const length of [0, 1, 31, 33, 64]) {
      const bytes = new Uint8Array(length).fill(5);
      await writeSeed(path, bytes, 0o600);
      await assert.rejects(
        loadOrCreateSeed(path),
        (e) =>
          e instanceof SeedFileError &&
          e.message.includes(`${length} bytes`) &&
          e.message.includes("32"),
        `${length}`,
      );
      assert.deepEqual(await Deno.readFile(path), bytes);
    }
  });
});

Deno.test("loadOrCreateSeed: refuses a directory", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "seed");
    await Deno.mkdir(path, { mode: 0o700 });
    await assert.rejects(loadOrCreateSeed(path), SeedFileError);
  });
});
