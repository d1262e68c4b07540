/**
 * The soak's memory probe: runs a command in its own process and leaves its
 * memory in a file, read back sample by sample.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lastMemorySample } from "../../../scripts/soak/memory_probe.ts";
import { withDir } from "../../helpers/temp_dir.ts";

const PROBE = new URL("../../../scripts/soak/memory_probe.ts", import.meta.url)
  .pathname;

Deno.test("memory probe: runs the command and writes its memory", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "probe.jsonl");
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", PROBE, path, "version"],
      stdout: "piped",
    }).output();
    assert.equal(code, 0);
    assert.match(new TextDecoder().decode(stdout), /auki-edge/);
    const sample = await lastMemorySample(path);
    assert.ok(sample !== undefined, "no sample written");
    assert.ok(sample.heapUsed > 0 && sample.heapUsed <= sample.heapTotal);
    assert.ok(sample.heapTotal < sample.rss, JSON.stringify(sample));
  });
});

Deno.test("lastMemorySample: the newest complete line; none before the first", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "probe.jsonl");
    assert.equal(await lastMemorySample(path), undefined);
    const line = (rss: number) =>
      JSON.stringify({ rss, heapTotal: 2, heapUsed: 1, external: 0 });
    await Deno.writeTextFile(path, `${line(10)}\n${line(20)}\n{"rss":3`);
    assert.equal((await lastMemorySample(path))?.rss, 20);
  });
});
