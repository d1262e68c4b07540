/**
 * Removal of earlier sessions' time transform logs: they relate a session
 * clock that nothing references once its session is over (sensor logs are
 * timestamped on the UTC clock), and would otherwise pile up, one per start.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../../core/logging.ts";
import type { RegistryRef } from "../../core/registries/entries.ts";
import { readManifest } from "./manifest.ts";

/** Deletes `peerId`'s time transform logs whose from-clock is not `sessionClock`. */
export async function removeStaleSessionLogs(
  storage: string,
  peerId: string,
  sessionClock: RegistryRef,
  logger: Logger,
): Promise<void> {
  const root = join(storage, "logs", peerId);
  let items: Deno.DirEntry[];
  try {
    items = await Array.fromAsync(Deno.readDir(root));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const item of items) {
    if (!item.isDirectory) continue;
    const dir = join(root, item.name);
    const manifest = await readManifest(dir).catch(() => undefined);
    const from = manifest?.from_clock as RegistryRef | undefined;
    if (from?.id === undefined || from.id === sessionClock.id) continue;
    await Deno.remove(dir, { recursive: true });
    logger.debug(
      `removed the time transform log of an earlier session: ${dir}`,
    );
  }
}
