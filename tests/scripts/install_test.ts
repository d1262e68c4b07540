/**
 * scripts/install.sh into a temporary root and back out: files and modes,
 * an existing configuration never overwritten, configuration kept after
 * --uninstall, bad input (exit 2, one line), and the default configuration
 * starting an agent with no sensors.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readConfigFile, resolveSensors } from "../../agent/config.ts";
import { ALL_DRIVERS } from "../../drivers/registry.ts";
import { withClient } from "../../cli/client.ts";
import { catalogRows } from "../e2e/_helpers.ts";
import { startAgent } from "../helpers/agent_process.ts";

const SCRIPTS = new URL("../../scripts/", import.meta.url).pathname;
const INSTALL = join(SCRIPTS, "install.sh");
const DEFAULT_CONFIG = join(SCRIPTS, "default_config.json");

/** Runs install.sh with `args`. */
async function install(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await new Deno.Command("sh", {
    args: [INSTALL, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A temporary root and a small executable standing in for the binary. */
async function fixture(): Promise<
  { dir: string; root: string; binary: string }
> {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-install-" });
  const root = join(dir, "root");
  await Deno.mkdir(root);
  const binary = join(dir, "auki-edge-x86_64");
  // Not executable: the installed copy must be.
  await Deno.writeTextFile(binary, "#!/bin/sh\necho auki-edge\n", {
    mode: 0o644,
  });
  return { dir, root, binary };
}

Deno.test("install.sh --root installs, keeps an existing config, and --uninstall keeps config", async () => {
  const { dir, root, binary } = await fixture();
  try {
    const bin = join(root, "usr/local/bin/auki-edge");
    const unit = join(root, "etc/systemd/system/auki-edge.service");
    const config = join(root, "etc/auki-edge/config.json");

    const first = await install(["--binary", binary, "--root", root]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, "");
    assert.equal((await Deno.stat(bin)).mode! & 0o777, 0o755);
    assert.equal((await Deno.stat(unit)).mode! & 0o777, 0o644);
    assert.equal((await Deno.stat(config)).mode! & 0o777, 0o644);
    assert.equal(
      await Deno.readTextFile(bin),
      await Deno.readTextFile(binary),
    );
    assert.equal(
      await Deno.readTextFile(unit),
      await Deno.readTextFile(join(SCRIPTS, "auki-edge.service")),
    );
    assert.equal(
      await Deno.readTextFile(config),
      await Deno.readTextFile(DEFAULT_CONFIG),
    );
    assert.match(first.stdout, /installed .*config\.json/);

    // An upgrade replaces the binary and never the operator's configuration.
    const edited = '{ "name": "robot-7", "sensors": [] }\n';
    await Deno.writeTextFile(config, edited);
    await Deno.writeTextFile(binary, "#!/bin/sh\necho upgraded\n");
    const second = await install([`--binary=${binary}`, `--root=${root}`]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /kept the existing .*config\.json/);
    assert.equal(await Deno.readTextFile(config), edited);
    assert.match(await Deno.readTextFile(bin), /upgraded/);

    const removed = await install(["--uninstall", "--root", root]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(await exists(bin), false);
    assert.equal(await exists(unit), false);
    assert.equal(await Deno.readTextFile(config), edited);
    assert.match(
      removed.stdout,
      /kept .*config\.json and .*\/var\/lib\/auki-edge/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("install.sh refuses bad input with one line and exit 2", async () => {
  const { dir, root, binary } = await fixture();
  try {
    const cases: [string[], RegExp][] = [
      [["--root", root], /^install\.sh: --binary: .* is required/],
      [
        ["--binary", binary, "--root", root, "--force"],
        /unknown flag "--force"/,
      ],
      [["--binary"], /--binary: expects a value/],
      [
        ["--binary", join(dir, "missing"), "--root", root],
        /missing is not a file/,
      ],
      [
        ["--binary", binary, "--root", join(dir, "nowhere")],
        /--root: .*nowhere is not a directory/,
      ],
      [
        ["--uninstall", "--binary", binary, "--root", root],
        /--binary: not used with --uninstall/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await install(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
    // Nothing was installed by any of them.
    assert.deepEqual([...Deno.readDirSync(root)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the default configuration is valid and runs an agent without sensors", async () => {
  const file = await readConfigFile(DEFAULT_CONFIG);
  assert.equal(file.storage, "/var/lib/auki-edge");
  assert.deepEqual(resolveSensors(file, ALL_DRIVERS, [], "default"), []);
  // An explicit empty list runs no simulated sensors either.
  const agent = await startAgent({ config: file });
  try {
    const rows = await withClient((node) => catalogRows(node, agent.address));
    assert.deepEqual(rows.filter((row) => row.sensor), []);
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});
