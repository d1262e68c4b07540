/**
 * An exclusive lock on a storage root, so two agents never write the same
 * logs. It is an advisory `flock` on `<storage>/agent.lock`, released by the
 * kernel when the process exits, even by kill -9.
 *
 * @module
 */
import { join } from "node:path";
import { cString, libc } from "../ffi/libc.ts";

const O_RDWR = 0o2;
const O_CREAT = 0o100;
const O_CLOEXEC = 0o2000000;
const LOCK_EX = 2;
const LOCK_NB = 4;

/** A held storage lock. */
export interface StorageLock {
  /** Releases the lock. */
  release(): void;
}

/**
 * Takes the lock on `storage` without waiting; throws naming the holder's
 * pid when another agent holds it.
 */
export async function lockStorage(storage: string): Promise<StorageLock> {
  const path = join(storage, "agent.lock");
  const fd = libc().open(cString(path), O_RDWR | O_CREAT | O_CLOEXEC, 0o600);
  if (fd < 0) throw new Error(`cannot open ${path}`);
  if (libc().flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    libc().close(fd);
    const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
    throw new Error(
      `storage ${storage} is in use by another auki-edge agent${
        holder ? ` (pid ${holder})` : ""
      }; give each agent its own --storage`,
    );
  }
  await Deno.writeTextFile(path, `${Deno.pid}\n`);
  return {
    release() {
      libc().close(fd);
    },
  };
}
