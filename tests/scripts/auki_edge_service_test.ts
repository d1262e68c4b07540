/**
 * The systemd unit scripts/auki-edge.service: `systemd-analyze verify`
 * accepts it without a single warning, and `systemd-analyze security`
 * scores its sandbox at 2.0 or below. Skipped, with the reason, only where
 * systemd-analyze is not installed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const UNIT = new URL("../../scripts/auki-edge.service", import.meta.url)
  .pathname;
const EXEC_START =
  "ExecStart=/usr/local/bin/auki-edge run --config /etc/auki-edge/config.json";

/** Runs systemd-analyze; `undefined` when it is not installed. */
async function analyze(
  args: string[],
): Promise<{ code: number; output: string } | undefined> {
  try {
    const result = await new Deno.Command("systemd-analyze", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: result.code,
      output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

const available = await analyze(["--version"]) !== undefined;
const skipped = available
  ? ""
  : " (skipped: systemd-analyze is not installed; apt-get install systemd)";

/**
 * `systemd-analyze verify` of the unit text `text`, with ExecStart pointing
 * to an executable that exists (the real binary is not installed here).
 */
async function verify(text: string): Promise<{ code: number; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-unit-" });
  try {
    const binary = join(dir, "auki-edge");
    await Deno.writeTextFile(binary, "#!/bin/sh\n", { mode: 0o755 });
    const unit = join(dir, "auki-edge.service");
    await Deno.writeTextFile(
      unit,
      text.replace("/usr/local/bin/auki-edge", binary),
    );
    return (await analyze(["verify", unit]))!;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the unit runs the installed binary as a notify service with a watchdog", async () => {
  const lines = (await Deno.readTextFile(UNIT)).split("\n");
  for (
    const setting of [
      EXEC_START,
      "Type=notify",
      "NotifyAccess=main",
      "WatchdogSec=30s",
      "Restart=on-failure",
      "User=auki-edge",
      "StateDirectory=auki-edge",
    ]
  ) {
    assert.ok(lines.includes(setting), setting);
  }
  // V8's JIT needs writable and executable memory.
  assert.ok(!lines.some((l) => l.startsWith("MemoryDenyWriteExecute=")));
});

Deno.test({
  name: `systemd-analyze verify accepts the unit without warnings${skipped}`,
  ignore: !available,
  async fn() {
    const text = await Deno.readTextFile(UNIT);
    assert.deepEqual(await verify(text), { code: 0, output: "" });
    // The same check sees a mistake.
    const broken = await verify(
      text.replace("WatchdogSec=30s", "Watchdog=30s"),
    );
    assert.match(broken.output, /Unknown key 'Watchdog'/);
  },
});

Deno.test({
  name: `systemd-analyze security scores the unit at 2.0 or below${skipped}`,
  ignore: !available,
  async fn() {
    const result = await analyze(["security", "--offline=yes", UNIT]);
    assert.equal(result!.code, 0, result!.output);
    const score = result!.output.match(
      /Overall exposure level for auki-edge\.service: (\d+\.\d+)/,
    );
    assert.ok(score, result!.output);
    console.log(`exposure ${score[1]}`);
    assert.ok(Number(score[1]) <= 2.0, result!.output);
  },
});
