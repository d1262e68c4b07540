/**
 * Ready files: written atomically as one JSON line; a live one is rewritten
 * when its content changes, not before its first write nor after close.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { LiveReadyFile } from "../../cli/ready_file.ts";
import { MemoryLogger } from "../helpers/logger.ts";

Deno.test("ready file: a live one follows its content once written, until closed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "sub", "ready.json");
    let content = { multiaddrs: [] as string[] };
    const logger = new MemoryLogger();
    const early = new LiveReadyFile(path, () => "{}", logger);
    early.refresh();
    await early.close();
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    const live = new LiveReadyFile(path, () => JSON.stringify(content), logger);
    await live.write();
    assert.equal(await Deno.readTextFile(path), '{"multiaddrs":[]}\n');
    content = { multiaddrs: ["/ip4/203.0.113.7/tcp/4002/p2p-circuit"] };
    live.refresh();
    live.refresh();
    await live.close();
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), content);
    content = { multiaddrs: [] };
    live.refresh();
    await live.close();
    assert.notEqual(await Deno.readTextFile(path), '{"multiaddrs":[]}\n');
    assert.deepEqual(logger.lines, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
