/**
 * Private storage: a looser tree is tightened (directories 0700, files
 * 0600) with one info line, and a real agent started under umask 022 leaves
 * every directory and file of its storage (logs, registries, status file,
 * lock) owner-only.
 *
 * @module
 */
import assert from "node:assert/strict";
import process from "node:process";
import { join } from "node:path";
import { tightenStorage } from "../../agent/private_storage.ts";
import { MemoryLogger } from "../helpers/logger.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";
import { SMALL_SIMS } from "../e2e/_helpers.ts";
import { poll } from "../../scripts/harness/cluster.ts";

/** Every entry under `root` (itself included) with its permission bits. */
async function modes(root: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const visit = async (path: string) => {
    const info = await Deno.lstat(path);
    if (info.isSymlink) return;
    found.set(path, info.mode! & 0o777);
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(path)) {
        await visit(join(path, entry.name));
      }
    }
  };
  await visit(root);
  return found;
}

Deno.test("tightenStorage: looser directories and files become 0700 and 0600", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "logs", "cam"), { recursive: true });
    await Deno.writeTextFile(join(root, "logs", "cam", "seg"), "x");
    await Deno.writeTextFile(join(root, "status.json"), "{}");
    await Deno.chmod(join(root, "status.json"), 0o600);
    for (const dir of [root, join(root, "logs"), join(root, "logs", "cam")]) {
      await Deno.chmod(dir, 0o755);
    }
    await Deno.chmod(join(root, "logs", "cam", "seg"), 0o644);
    const logger = new MemoryLogger();
    const tightened = await tightenStorage(root, logger);
    assert.deepEqual(tightened, { directories: 3, files: 1 });
    for (const [path, mode] of await modes(root)) {
      const info = await Deno.stat(path);
      assert.equal(mode, info.isDirectory ? 0o700 : 0o600, path);
    }
    assert.deepEqual(logger.lines, [
      `INFO storage ${root} was open to other users: set 3 directories to 0700 and 1 files to 0600`,
    ]);
    assert.deepEqual(await tightenStorage(root, logger), {
      directories: 0,
      files: 0,
    });
    assert.equal(logger.lines.length, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an agent started under umask 022 keeps its whole storage owner-only", async () => {
  const storage = await Deno.makeTempDir();
  const previous = process.umask(0o022);
  try {
    await Deno.mkdir(join(storage, "registries"), { mode: 0o755 });
    await Deno.writeTextFile(join(storage, "registries", "old.json"), "{}", {
      mode: 0o644,
    });
    await Deno.chmod(storage, 0o755);
    const agent = await startAgent({ storage, config: SMALL_SIMS });
    try {
      await poll(
        "the status file",
        () =>
          Deno.stat(join(storage, "status.json")).then(() => true).catch(() =>
            undefined
          ),
      );
      await agent.waitForStderr(/was open to other users: set 2 directories/);
      const found = await modes(storage);
      assert.ok(
        [...found.keys()].some((p) => p.includes(`${join(storage, "logs")}/`)),
        "the agent wrote logs",
      );
      const loose = [...found].filter(([path, mode]) =>
        mode !== 0o700 && mode !== 0o600 || (mode & 0o077) !== 0 ||
        (path === storage && mode !== 0o700)
      );
      assert.deepEqual(loose, []);
    } finally {
      await agent.stop();
    }
    for (const [path, mode] of await modes(storage)) {
      assert.equal(mode & 0o077, 0, `${path} is ${mode.toString(8)}`);
    }
  } finally {
    process.umask(previous);
    await Deno.remove(storage, { recursive: true });
  }
});
