/**
 * A one-line progress bar on standard error: redrawn in place on a
 * terminal, printed as a plain line at most every 10% otherwise (logs stay
 * readable).
 *
 * @module
 */

const WIDTH = 24;
const encoder = new TextEncoder();

/** A progress bar for `total` steps of `label`. */
export class ProgressBar {
  readonly #label: string;
  readonly #total: number;
  readonly #tty: boolean;
  #lastDecile = -1;

  /** A bar labelled `label` counting to `total`. */
  constructor(label: string, total: number, tty = Deno.stderr.isTerminal()) {
    this.#label = label;
    this.#total = total;
    this.#tty = tty;
  }

  /** Shows `done` of the total, with an optional note. */
  update(done: number, note = ""): void {
    const fraction = Math.min(1, done / this.#total);
    if (this.#tty) {
      const filled = Math.round(fraction * WIDTH);
      write(
        `\r\x1b[2K${this.#label} [${"#".repeat(filled)}${
          " ".repeat(WIDTH - filled)
        }] ${done}/${this.#total} ${note}`,
      );
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile === this.#lastDecile) return;
    this.#lastDecile = decile;
    write(`${this.#label}: ${done}/${this.#total} ${note}\n`);
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.#tty) write("\n");
  }
}

function write(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}
