/**
 * The membership as this peer sees it, dumped to
 * `<storage>/clusters/<cluster>.json` after every change (spec cluster.md 2:
 * "a peer MAY dump it as `{cluster_name}.json`"), for operators and tests.
 * It is never read back: the Manager is the source of truth. The dumps of
 * an earlier run are removed at start, and a peer that leaves removes its own.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../../core/logging.ts";
import { describe } from "../protocols/exchange.ts";
import { type ClusterMembership, membershipJson } from "./membership.ts";
import { writeFileAtomic } from "../../core/files.ts";

/** The dump file of `cluster` under `storage`. */
export function membershipDumpPath(storage: string, cluster: string): string {
  return join(storage, "clusters", `${encodeURIComponent(cluster)}.json`);
}

/** Writes membership dumps in order, each atomically (temporary file, rename). */
export class MembershipDump {
  readonly #storage: string;
  readonly #logger: Logger;
  #chain: Promise<void> = Promise.resolve();

  /** Dumps under `<storage>/clusters/`. */
  constructor(storage: string, logger: Logger) {
    this.#storage = storage;
    this.#logger = logger;
  }

  /** Removes the dumps of an earlier run: they describe nothing any more. */
  static async clear(storage: string): Promise<void> {
    await Deno.remove(join(storage, "clusters"), { recursive: true })
      .catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
  }

  /** Queues a write of `membership` for `cluster`; `undefined` removes the file. */
  write(cluster: string, membership: ClusterMembership | undefined): void {
    const path = membershipDumpPath(this.#storage, cluster);
    const text = membership && `${membershipJson(membership)}\n`;
    this.#chain = this.#chain.then(async () => {
      if (text === undefined) {
        await Deno.remove(path).catch(() => {});
        return;
      }
      await Deno.mkdir(join(this.#storage, "clusters"), { recursive: true });
      await writeFileAtomic(path, text, { soleWriter: true });
    }).catch((error) =>
      this.#logger.warn(`cannot write ${path}: ${describe(error)}`)
    );
  }

  /** Resolves once every queued write is done. */
  flushed(): Promise<void> {
    return this.#chain;
  }
}
