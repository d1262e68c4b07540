/**
 * Where the commands print: an {@link Output} passed in by `main`, so a
 * caller (a test, an embedding program) reads what a command printed
 * without replacing `console`. {@link STDIO} is the process's own.
 *
 * @module
 */

/** A command's two streams; each call prints `text` and a newline. */
export interface Output {
  /** Prints `text` and a newline on the standard output. */
  out(text: string): void;
  /** Prints `text` and a newline on the standard error. */
  err(text: string): void;
}

/** The process's standard output and standard error. */
export const STDIO: Output = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};
