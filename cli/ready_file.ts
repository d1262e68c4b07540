/**
 * Ready files: a command writes one line of JSON once it serves, atomically,
 * so a waiting process never reads half of it; a {@link LiveReadyFile} is
 * rewritten the same way when what it says changes.
 *
 * @module
 */
import { dirname } from "node:path";
import { writeFileAtomic } from "../core/files.ts";
import { errorMessage, type Logger } from "../core/logging.ts";

/** Writes `text` and a newline to `path` through a temporary file and a rename. */
export async function writeReadyFile(
  path: string,
  text: string,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${text}\n`);
}

/** A ready file holding `content()`, rewritten on {@link refresh}. */
export class LiveReadyFile {
  readonly #path: string;
  readonly #content: () => string;
  readonly #logger: Logger;
  #written = "";
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  /** A ready file at `path`; nothing is written before {@link write}. */
  constructor(path: string, content: () => string, logger: Logger) {
    this.#path = path;
    this.#content = content;
    this.#logger = logger;
  }

  /** Writes it now; a failure is thrown. */
  async write(): Promise<void> {
    this.#written = this.#content();
    await writeReadyFile(this.#path, this.#written);
  }

  /** Rewrites it when its content changed, one write at a time; failures are logged. */
  refresh(): void {
    if (this.#closed || this.#written === "") return;
    this.#chain = this.#chain.then(async () => {
      const text = this.#content();
      if (text === this.#written) return;
      this.#written = text;
      await writeReadyFile(this.#path, text);
    }).catch((error) =>
      this.#logger.warn(`cannot write ${this.#path}: ${errorMessage(error)}`)
    );
  }

  /** Stops rewriting once the pending write is done. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#chain;
  }
}
