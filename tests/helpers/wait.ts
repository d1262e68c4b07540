/**
 * Waits of the tests: {@link until} a condition holds, failing with what
 * was awaited after a timeout, and a plain {@link delay}.
 *
 * @module
 */

/** Waits until `done()` holds, polling every 10 ms; throws naming `what` after `timeoutMs`; resolves to the ms waited. */
export async function until(
  done: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<number> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(10);
  }
  return performance.now() - started;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
