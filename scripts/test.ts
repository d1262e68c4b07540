/**
 * `deno task test`: builds the native test libraries when a C compiler
 * exists (`deno task build:ffi`), runs the whole suite (or the paths given)
 * with Deno's own reporter, then prints the one summary line CI reads:
 * `N passed, N failed` (and `, N skipped` when some were).
 *
 * @module
 */
import { join } from "node:path";
import { buildFfi, findCompiler } from "./build_ffi.ts";

const SUITE_TIMEOUT_MS = 60 * 60 * 1000;

/** Counts of a test run. */
export interface TestCounts {
  /** Tests that passed. */
  passed: number;
  /** Tests that failed. */
  failed: number;
  /** Tests that were ignored (skipped with a reason). */
  skipped: number;
}

/**
 * Counts top-level test cases in a Deno JUnit report. Steps appear as cases
 * named `<parent> > <step>` beside their parent and are not counted.
 */
export function countJunit(xml: string): TestCounts {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const suite = /<testsuite [^>]*>([\s\S]*?)<\/testsuite>/g;
  const testcase =
    /<testcase name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const [, cases] of xml.matchAll(suite)) {
    const found = [...cases.matchAll(testcase)].map((m) => ({
      name: m[1],
      body: m[2] ?? "",
    }));
    const names = found.map((c) => c.name);
    for (const { name, body } of found) {
      if (names.some((parent) => name.startsWith(`${parent} &gt; `))) continue;
      if (/<failure|<error/.test(body)) counts.failed++;
      else if (/<skipped/.test(body)) counts.skipped++;
      else counts.passed++;
    }
  }
  return counts;
}

/** The summary line. */
export function summaryLine(counts: TestCounts): string {
  return `${counts.passed} passed, ${counts.failed} failed${
    counts.skipped > 0 ? `, ${counts.skipped} skipped` : ""
  }`;
}

/**
 * Builds the native libraries the FFI tests load (`deno task build:ffi`);
 * without a C compiler those tests skip, and this says so.
 */
async function buildNativeLibraries(): Promise<boolean> {
  const compiler = await findCompiler();
  if (compiler === undefined) {
    console.log(
      "no C compiler (cc, gcc or clang): the native driver tests will be skipped",
    );
    return true;
  }
  try {
    await buildFfi(compiler);
    return true;
  } catch (error) {
    console.error(`build:ffi: ${(error as Error).message}`);
    return false;
  }
}

if (import.meta.main) {
  if (!await buildNativeLibraries()) {
    console.log(summaryLine({ passed: 0, failed: 1, skipped: 0 }));
    Deno.exit(1);
  }
  const dir = await Deno.makeTempDir({ prefix: "auki-edge-test-" });
  const junit = join(dir, "junit.xml");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--allow-all",
      `--junit-path=${junit}`,
      ...Deno.args,
    ],
    stdout: "inherit",
    stderr: "inherit",
    signal: AbortSignal.timeout(SUITE_TIMEOUT_MS),
  }).spawn();
  const status = await child.status;
  const xml = await Deno.readTextFile(junit).catch(() => "");
  await Deno.remove(dir, { recursive: true });
  const counts = countJunit(xml);
  if (!status.success && counts.failed === 0) {
    // The run failed outside any test case (a module that does not load,
    // a timeout): count it so CI never reads a clean line.
    counts.failed = 1;
    console.error(`deno test exited with code ${status.code}`);
  }
  console.log(summaryLine(counts));
  Deno.exit(status.success ? 0 : 1);
}
