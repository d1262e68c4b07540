/**
 * `deno run --allow-all scripts/soak/memory_probe.ts FILE ARGS...`: runs
 * `auki-edge ARGS...` in this process and appends its memory to FILE every
 * {@link PROBE_MS} ms, one JSON {@link MemorySample} per line, so the soak
 * can tell V8's heap (which grows and shrinks with its collector) from the
 * rest of the resident memory (where a native leak would show).
 *
 * @module
 */
import { main } from "../../cli/main.ts";

/** How often the probe writes a sample, ms. */
const PROBE_MS = 1_000;

/** One line of the probe's file: `Deno.memoryUsage()` in bytes. */
export interface MemorySample {
  /** Resident set size. */
  rss: number;
  /** V8's heap as reserved from the system (young and old generations). */
  heapTotal: number;
  /** The part of the heap holding objects, live or not yet collected. */
  heapUsed: number;
  /** Memory outside the heap held by JavaScript objects (ArrayBuffers). */
  external: number;
}

/** The newest complete sample of a probe's file, `undefined` before the first. */
export async function lastMemorySample(
  path: string,
): Promise<MemorySample | undefined> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const lines = text.split("\n");
  // The last line is empty, or one being written.
  const last = lines.at(-2);
  return last === undefined ? undefined : JSON.parse(last);
}

if (import.meta.main) {
  const [path, ...args] = Deno.args;
  const file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  const probe = () => {
    const { rss, heapTotal, heapUsed, external } = Deno.memoryUsage();
    const sample: MemorySample = { rss, heapTotal, heapUsed, external };
    file.writeSync(encoder.encode(`${JSON.stringify(sample)}\n`));
  };
  probe();
  Deno.unrefTimer(setInterval(probe, PROBE_MS));
  Deno.exit(await main(args));
}
