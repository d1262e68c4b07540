/**
 * The recording command output of the tests: {@link MemoryOutput} keeps
 * what a command printed, line by line, in place of the process's streams.
 *
 * @module
 */
import type { Output } from "../../cli/output.ts";

/** An {@link Output} keeping every printed text. */
export class MemoryOutput implements Output {
  /** Texts printed on the standard output, in order. */
  readonly stdout: string[] = [];
  /** Texts printed on the standard error, in order. */
  readonly stderr: string[] = [];

  /** Records a standard output text. */
  out(text: string): void {
    this.stdout.push(text);
  }
  /** Records a standard error text. */
  err(text: string): void {
    this.stderr.push(text);
  }
}
