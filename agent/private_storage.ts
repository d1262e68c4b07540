/**
 * Storage is private to its owner: camera recordings, registries, the status
 * file and calibration are nobody else's to read. Every file the process
 * creates is owner-only (umask 077, whatever umask it was started with), and
 * an existing tree left looser by an earlier version or another umask is
 * tightened at start.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../core/logging.ts";
import { libc } from "../ffi/libc.ts";

/** Mode of storage directories. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of storage files. */
export const PRIVATE_FILE_MODE = 0o600;
/** Permission bits of group and others. */
const SHARED_BITS = 0o077;

/**
 * Makes every file and directory this process creates from now on owner-only.
 * The umask is set through libc: Node's `process.umask` needs a system
 * permission Deno cannot grant by name.
 */
export function useOwnerOnlyModes(): void {
  libc().umask(SHARED_BITS);
}

/** How many entries {@link tightenStorage} changed. */
export interface Tightened {
  /** Directories set to 0700. */
  directories: number;
  /** Files set to 0600. */
  files: number;
}

/**
 * Sets every directory under `root` (itself included) that group or others
 * can use to 0700 and every such file to 0600; symbolic links are left
 * alone. Logs one info line when anything changed.
 */
export async function tightenStorage(
  root: string,
  logger: Logger,
): Promise<Tightened> {
  const tightened = { directories: 0, files: 0 };
  const visit = async (path: string, info: Deno.FileInfo) => {
    if (info.isSymlink) return;
    if (((info.mode ?? 0) & SHARED_BITS) !== 0) {
      await Deno.chmod(
        path,
        info.isDirectory ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE,
      );
      tightened[info.isDirectory ? "directories" : "files"]++;
    }
    if (!info.isDirectory) return;
    for await (const entry of Deno.readDir(path)) {
      const child = join(path, entry.name);
      const childInfo = await Deno.lstat(child).catch(() => undefined);
      if (childInfo !== undefined) await visit(child, childInfo);
    }
  };
  await visit(root, await Deno.lstat(root));
  if (tightened.directories + tightened.files > 0) {
    logger.info(
      `storage ${root} was open to other users: set ${tightened.directories} directories to 0700 and ${tightened.files} files to 0600`,
    );
  }
  return tightened;
}
