/**
 * Waiting on device calls without trusting them: a call raced against a
 * deadline (the call may never return; its promise is handed back so the
 * caller can tell when it finally does), and a wait for an abort.
 *
 * @module
 */

/** A call that returned in time, or one still pending at its deadline. */
export type Deadlined<T> =
  | {
    /** It returned in time. */
    done: true;
    /** What it returned. */
    value: T;
  }
  | {
    /** The deadline passed first. */
    done: false;
    /** The call, still running. */
    pending: Promise<T>;
  };

/** Waits for `call` at most `ms` milliseconds. */
export async function withDeadline<T>(
  call: Promise<T>,
  ms: number,
): Promise<Deadlined<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  try {
    const first = await Promise.race([
      call.then((value) => ({ value })),
      late,
    ]);
    return first === "late"
      ? { done: false, pending: call }
      : { done: true, value: first.value };
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
