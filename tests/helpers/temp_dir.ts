/**
 * Temporary directories of the tests: {@link withDir} runs a test body in a
 * fresh directory and removes it afterwards.
 *
 * @module
 */

/** Runs `work` in a fresh temporary directory (named `prefix…`), removed afterwards even when `work` throws. */
export async function withDir(
  work: (dir: string) => Promise<void>,
  prefix = "auki-test-",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await work(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
