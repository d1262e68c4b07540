/**
 * Helpers of the benchmarks that run the helper scripts of this folder as
 * processes and read the JSON lines they print.
 *
 * @module
 */
import { join } from "node:path";

/** This folder, where the helper scripts live. */
export const HERE = new URL("././", import.meta.url).pathname;
const MIB = 1024 * 1024;

/** What `subscriber.ts` prints. */
export interface SubscriberResult {
  /** Entries read in the measured window. */
  entries: number;
  /** Payload bytes read in it. */
  bytes: number;
  /** Its length, s. */
  seconds: number;
  /** Receipt minus entry timestamp per entry, ns (with `--latency`). */
  latency_ns: string[];
}

/** MiB/s of a result. */
export const mbps = (r: { bytes: number; seconds: number }): number =>
  r.bytes / MIB / r.seconds;

/** Runs a helper script; yields each JSON line it prints. */
export function spawnJson<T>(script: string, args: string[]): {
  lines: AsyncGenerator<T>;
  done: Promise<Deno.CommandStatus>;
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(HERE, script), ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  async function* lines(): AsyncGenerator<T> {
    let buffer = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        yield JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    }
  }
  return { lines: lines(), done: child.status };
}

/** Runs a helper script to its end; returns the last JSON line it printed. */
export async function lastLine<T>(script: string, args: string[]): Promise<T> {
  const { lines, done } = spawnJson<T>(script, args);
  let last: T | undefined;
  for await (const line of lines) last = line;
  await done;
  if (last === undefined) throw new Error(`${script} printed nothing`);
  return last;
}
