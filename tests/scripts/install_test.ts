/**
 * scripts/install.sh into a temporary root and back out: files and modes,
 * an existing configuration never overwritten, configuration kept after
 * --uninstall, bad input (exit 2, one line), the default configuration
 * starting an agent with no sensors; and, in a private mount namespace
 * where systemd seems to run, the user, groups and systemctl calls.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readConfigFile, resolveSensors } from "../../agent/config.ts";
import { ALL_DRIVERS } from "../../drivers/registry.ts";
import { withClient } from "../../cli/client.ts";
import { requestResources } from "../../agent/protocols/resources.ts";
import { startAgent } from "../../scripts/harness/agent_process.ts";

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

/** Whether this process may make a private mount namespace (root, CAP_SYS_ADMIN). */
async function canUnshare(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("unshare", {
      args: ["-m", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

const unshare = await canUnshare();

Deno.test({
  name:
    `install.sh on a machine running systemd creates the user and enables the service${
      unshare
        ? ""
        : " (skipped: needs root for a private mount namespace, unshare -m)"
    }`,
  ignore: !unshare,
  async fn() {
    const { dir, binary } = await fixture();
    try {
      // The machine's /etc, /run and /usr/local/bin are replaced, inside a
      // private mount namespace only, by a copy of /etc, a /run where
      // systemd runs, and an empty directory; systemctl only logs its calls.
      const etc = join(dir, "etc");
      const bin = join(dir, "bin");
      const stubs = join(dir, "stubs");
      const calls = join(dir, "systemctl.log");
      await Deno.mkdir(bin);
      await Deno.mkdir(stubs);
      const copy = await new Deno.Command("cp", { args: ["-a", "/etc", etc] })
        .output();
      assert.ok(copy.success);
      await Deno.writeTextFile(
        join(stubs, "systemctl"),
        `#!/bin/sh\necho "$*" >> ${calls}\n`,
        { mode: 0o755 },
      );
      const script = join(dir, "machine.sh");
      await Deno.writeTextFile(
        script,
        [
          "set -e",
          "mount --make-rprivate /",
          `mount --bind ${etc} /etc`,
          "mount -t tmpfs tmpfs /run",
          "mkdir -p /run/systemd/system",
          `mount --bind ${bin} /usr/local/bin`,
          `export PATH=${stubs}:$PATH`,
          `sh ${INSTALL} --binary ${binary}`,
          "echo ---",
          `sh ${INSTALL} --binary ${binary}`,
          "echo ---",
          "id -nG auki-edge",
          "getent passwd auki-edge",
          "echo ---",
          `sh ${INSTALL} --uninstall`,
        ].join("\n"),
      );
      const result = await new Deno.Command("unshare", {
        args: ["-m", "sh", script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      const stdout = decoder.decode(result.stdout);
      assert.equal(result.code, 0, decoder.decode(result.stderr) + stdout);
      const [first, second, user, removed] = stdout.split("---\n");
      assert.match(first, /created the system user auki-edge/);
      assert.match(first, /started auki-edge\.service/);
      assert.doesNotMatch(second, /created the system user/);
      assert.match(second, /kept the existing \/etc\/auki-edge\/config\.json/);
      const groups = user.split("\n")[0].split(" ");
      assert.equal(groups[0], "auki-edge");
      for (const group of ["dialout", "video"]) {
        const known = (await Deno.readTextFile(join(etc, "group")))
          .split("\n").some((line) => line.startsWith(`${group}:`));
        assert.equal(groups.includes(group), known, `group ${group}`);
      }
      assert.match(
        user,
        /^auki-edge:x:\d+:\d+:[^:]*:\/var\/lib\/auki-edge:\/usr\/sbin\/nologin$/m,
      );
      assert.match(removed, /^removed \/usr\/local\/bin\/auki-edge /);
      assert.equal(
        await Deno.readTextFile(calls),
        [
          ...Array(2).fill([
            "daemon-reload",
            "enable auki-edge.service",
            "restart auki-edge.service",
          ]).flat(),
          "disable --now auki-edge.service",
          "daemon-reload",
          "",
        ].join("\n"),
      );
      // The uninstall emptied the stand-in for /usr/local/bin; the
      // configuration stayed in the copy of /etc.
      assert.deepEqual([...Deno.readDirSync(bin)], []);
      assert.match(
        await Deno.readTextFile(join(etc, "auki-edge", "config.json")),
        /"storage": "\/var\/lib\/auki-edge"/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
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
    const rows = await withClient((node) =>
      requestResources(node, agent.address)
    );
    assert.deepEqual(rows.filter((row) => row.sensor), []);
  } finally {
    assert.equal(await agent.stop(), 0);
  }
});
