/**
 * Runs real agents as separate `auki-edge run` processes on loopback for
 * end-to-end tests and benchmarks, and a client node to talk to them.
 *
 * @module
 */
import { join } from "node:path";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * `auki-edge` from source as the harness runs it: `deno run` with every
 * permission and the installed `node_modules` taken as it is, so that
 * processes started together never wait on its lock (Deno prints a line
 * about that wait when a command's lazily imported npm packages resolve).
 */
export const AUKI_EDGE = [
  Deno.execPath(),
  "run",
  "--node-modules-dir=manual",
  "--allow-all",
  MAIN,
];

/** A running agent process. */
export interface AgentProcess {
  /** The agent's peer id. */
  peerId: string;
  /** Its first listen address (with `/p2p/<id>`). */
  address: Multiaddr;
  /** Its storage root. */
  storage: string;
  /** Its HTTP server's URL (`http` of the ready file), if it serves one. */
  http: string | undefined;
  /** The process id. */
  pid: number;
  /** Everything it wrote to standard error so far. */
  stderr(): string;
  /** Whether the process has exited. */
  exited(): boolean;
  /**
   * Waits until standard error contains `pattern` (text or regular
   * expression); throws with the output so far after `timeoutMs`.
   */
  waitForStderr(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and waits for the exit; returns the exit code. */
  stop(): Promise<number>;
  /** Sends SIGKILL and waits for the process to be gone. */
  kill(): Promise<void>;
}

/** Options of {@link startAgent}. */
export interface StartAgentOptions {
  /**
   * Storage root. By default a new temporary directory, removed once the
   * agent is stopped or killed; a given one is left in place.
   */
  storage?: string;
  /** Extra command-line arguments after `run`. */
  args?: string[];
  /** `--listen` value (default loopback, port 0; `none` for relay-only). */
  listen?: string;
  /** A configuration object, written as JSON into the storage and passed as `--config`. */
  config?: unknown;
  /** How long to wait for the ready file, ms. */
  timeoutMs?: number;
  /** The program to run and its arguments before `run` (default: this Deno on main.ts). */
  command?: [string, ...string[]];
  /** Extra environment variables of the process. */
  env?: Record<string, string>;
}

/**
 * Starts `auki-edge run` on loopback (libp2p and HTTP on free ports) and
 * waits until its ready file appears.
 */
export async function startAgent(
  options: StartAgentOptions = {},
): Promise<AgentProcess> {
  const storage = options.storage ??
    await Deno.makeTempDir({ prefix: "auki-edge-e2e-" });
  const removeStorage = async () => {
    if (options.storage === undefined) {
      await Deno.remove(storage, { recursive: true }).catch(() => {});
    }
  };
  const ready = join(storage, `ready-${crypto.randomUUID()}.json`);
  const configArgs: string[] = [];
  if (options.config !== undefined) {
    const path = join(storage, `config-${crypto.randomUUID()}.json`);
    await Deno.writeTextFile(path, JSON.stringify(options.config));
    configArgs.push("--config", path);
  }
  const [program, ...leading] = options.command ?? AUKI_EDGE;
  const child = new Deno.Command(program, {
    args: [
      ...leading,
      "run",
      "--listen",
      options.listen ?? "/ip4/127.0.0.1/tcp/0",
      "--storage",
      storage,
      "--ready-file",
      ready,
      "--http",
      "127.0.0.1:0",
      ...configArgs,
      ...(options.args ?? []),
    ],
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let errText = "";
  const decoder = new TextDecoder();
  const drainErr = child.stderr.pipeTo(
    new WritableStream({
      write(chunk) {
        errText += decoder.decode(chunk, { stream: true });
      },
    }),
  );
  const drainOut = child.stdout.pipeTo(new WritableStream());
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const finish = async () => {
    const s = await status;
    await Promise.allSettled([drainErr, drainOut]);
    return s;
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      const info = JSON.parse(await Deno.readTextFile(ready));
      return {
        peerId: info.peer_id,
        address: multiaddr(info.multiaddrs[0]),
        storage,
        http: info.http,
        pid: child.pid,
        stderr: () => errText,
        exited: () => exited,
        async waitForStderr(pattern, timeoutMs = 5_000) {
          const found = () =>
            typeof pattern === "string"
              ? errText.includes(pattern)
              : pattern.test(errText);
          const until = Date.now() + timeoutMs;
          while (!found()) {
            if (Date.now() > until) {
              throw new Error(
                `agent stderr has no ${pattern} after ${timeoutMs} ms:\n${errText}`,
              );
            }
            await new Promise((r) => setTimeout(r, 25));
          }
        },
        async stop() {
          if (exited) {
            // It died on its own: show why next to the failing test.
            console.error(`agent ${info.peer_id} had exited:\n${errText}`);
          } else {
            child.kill("SIGTERM");
          }
          const { code } = await finish();
          await removeStorage();
          return code;
        },
        async kill() {
          if (!exited) child.kill("SIGKILL");
          await finish();
          await removeStorage();
        },
      };
    } catch {
      if (exited || Date.now() > deadline) {
        if (!exited) child.kill("SIGKILL");
        const s = await finish();
        await removeStorage();
        throw new Error(
          `agent did not become ready (exit ${s.code}):\n${errText}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Runs the CLI as a process; returns exit code, stdout and stderr. */
export async function runCli(
  args: string[],
  options: { timeoutMs?: number; netns?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = [...AUKI_EDGE, ...args];
  const output = await new Deno.Command(options.netns ? "ip" : command[0], {
    args: options.netns
      ? ["netns", "exec", options.netns, ...command]
      : command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
