/**
 * End to end: bad input at start, against real processes. A configuration
 * that fails validation, a seed readable by others, a storage folder that
 * cannot be written and a port already in use (for `run`, its embedded
 * Discovery and its HTTP server, `relay` and `discovery`) each end the process with one line
 * naming the file, key, folder or port, exit 2 (bad input) or 1 (runtime),
 * and no stack trace or library internals.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../../scripts/harness/agent_process.ts";

/** Asserts one stderr line matching `pattern`, the exit code, and no stack. */
function assertOneLine(
  result: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
  what: string,
): void {
  assert.equal(result.code, code, `${what}: exit code (${result.stderr})`);
  const errors = result.stderr.split("\n").filter((line) => line.trim() !== "");
  assert.equal(errors.length, 1, `${what}: one line, got:\n${result.stderr}`);
  assert.match(errors[0], pattern, what);
  assert.doesNotMatch(result.stderr, /^\s+at /m, `${what}: no stack trace`);
  assert.doesNotMatch(result.stderr, /faultTolerance|os error \d+\)?: \w+ '/);
}

Deno.test("a port already in use is one line naming the address and port, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-bad-" });
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (held.addr as Deno.NetAddr).port;
  try {
    const inUse = `port ${port} is already in use`;
    const cases: [string[], RegExp][] = [
      [
        [
          "run",
          "--storage",
          join(dir, "a"),
          "--sim",
          "none",
          "--listen",
          `/ip4/127.0.0.1/tcp/${port}`,
          "--http",
          "127.0.0.1:0",
        ],
        new RegExp(
          `^auki-edge run: cannot listen on /ip4/127\\.0\\.0\\.1/tcp/${port}: ${inUse}$`,
        ),
      ],
      [
        [
          "run",
          "--storage",
          join(dir, "b"),
          "--sim",
          "none",
          "--listen",
          "/ip4/127.0.0.1/tcp/0",
          "--cluster",
          "local",
          "--embedded-discovery",
          `127.0.0.1:${port}`,
          "--http",
          "127.0.0.1:0",
        ],
        new RegExp(
          `^auki-edge run: embedded Discovery: cannot listen on 127\\.0\\.0\\.1:${port}: ${inUse}$`,
        ),
      ],
      [
        [
          "run",
          "--storage",
          join(dir, "c"),
          "--sim",
          "none",
          "--listen",
          "/ip4/127.0.0.1/tcp/0",
          "--http",
          `127.0.0.1:${port}`,
        ],
        new RegExp(
          `^auki-edge run: HTTP server: cannot listen on 127\\.0\\.0\\.1:${port}: ${inUse}$`,
        ),
      ],
      [
        [
          "relay",
          "--seed",
          join(dir, "relay.seed"),
          "--listen",
          `/ip4/127.0.0.1/tcp/${port}`,
        ],
        new RegExp(
          `^auki-edge relay: cannot listen on /ip4/127\\.0\\.0\\.1/tcp/${port}: ${inUse}$`,
        ),
      ],
      [
        ["discovery", "--listen", `127.0.0.1:${port}`],
        new RegExp(
          `^auki-edge discovery: cannot listen on 127\\.0\\.0\\.1:${port}: ${inUse}$`,
        ),
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, i) =>
      assertOneLine(result, 1, cases[i][1], cases[i][0].join(" "))
    );
  } finally {
    held.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad configuration, a shared seed and an unwritable storage are one line each", async () => {
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-bad-" });
  try {
    const config = join(dir, "config.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({ sensors: [{ driver: "sim.joints", rate_hz: 0 }] }),
    );
    const seed = join(dir, "shared.seed");
    await Deno.writeFile(seed, crypto.getRandomValues(new Uint8Array(32)));
    await Deno.chmod(seed, 0o644);
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "");
    const run = (...args: string[]) => [
      "run",
      "--sim",
      "none",
      "--listen",
      "/ip4/127.0.0.1/tcp/0",
      "--http",
      "127.0.0.1:0",
      ...args,
    ];
    const cases: [string[], number, RegExp][] = [
      [
        run("--storage", join(dir, "s1"), "--config", config),
        2,
        /^auki-edge config \S+config\.json: sensors\[0\]\.rate_hz: /,
      ],
      [
        run("--storage", join(dir, "s2"), "--seed", seed),
        1,
        /^auki-edge: seed \S+shared\.seed is accessible by group or others \(mode 0644\); run: chmod 600 /,
      ],
      [
        run("--storage", join(file, "storage")),
        1,
        /^auki-edge run: storage \S+a-file\/storage cannot be written: Not a directory \(os error 20\)$/,
      ],
    ];
    if (Deno.uid() !== 0) {
      // Root writes anywhere; a read-only folder only stops other users.
      const readOnly = join(dir, "read-only");
      await Deno.mkdir(readOnly, { mode: 0o555 });
      cases.push([
        run("--storage", readOnly),
        1,
        /^auki-edge run: storage \S+read-only cannot be written: Permission denied/,
      ]);
    }
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, i) =>
      assertOneLine(result, cases[i][1], cases[i][2], cases[i][0].join(" "))
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
