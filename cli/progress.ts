/**
 * A one-line progress bar on standard error, drawn only when standard error
 * is a terminal and at most ten times a second.
 *
 * @module
 */

const WIDTH = 30;
const REDRAW_MS = 100;

/** A progress bar of bytes done out of a total (0 when unknown). */
export class ProgressBar {
  readonly #total: number;
  readonly #label: string;
  readonly #enabled = Deno.stderr.isTerminal();
  readonly #started = performance.now();
  #drawnAt = 0;
  #done = 0;

  /** A bar for `total` bytes, labelled `label`. */
  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = total;
  }

  /** Records `done` bytes and redraws when due. */
  update(done: number): void {
    this.#done = done;
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#drawnAt < REDRAW_MS) return;
    this.#drawnAt = now;
    this.#draw(now);
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (!this.#enabled) return;
    this.#draw(performance.now());
    Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }

  #draw(now: number): void {
    const seconds = Math.max((now - this.#started) / 1000, 1e-3);
    const mb = this.#done / 1e6;
    const share = this.#total > 0 ? Math.min(this.#done / this.#total, 1) : 0;
    const bar = this.#total > 0
      ? `[${"#".repeat(Math.round(share * WIDTH)).padEnd(WIDTH, "-")}] ${
        Math.round(share * 100).toString().padStart(3)
      }% `
      : "";
    const line = `\r${this.#label} ${bar}${mb.toFixed(1)} MB ${
      (mb / seconds).toFixed(1)
    } MB/s`;
    Deno.stderr.writeSync(new TextEncoder().encode(`${line}\x1b[K`));
  }
}
