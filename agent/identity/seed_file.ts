/**
 * The wallet seed file: exactly 32 raw bytes, mode 0600, minted when absent.
 *
 * @module
 */
import { dirname } from "node:path";
import { SEED_BYTES } from "./wallet.ts";

/** A seed file that cannot be used; the message says why and what to do. */
export class SeedFileError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SeedFileError";
  }
}

/**
 * Loads the seed at `path`, or mints a random one there (mode 0600, written to
 * a temporary file and renamed into place) when the file does not exist.
 * Refuses a seed readable or writable by group or others.
 */
export async function loadOrCreateSeed(path: string): Promise<Uint8Array> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return await createSeed(path);
  }
  if (!info.isFile) throw new SeedFileError(`seed ${path} is not a file`);
  const shared = sharedAccessProblem("seed", path, info.mode ?? 0);
  if (shared !== undefined) throw new SeedFileError(shared);
  const seed = await Deno.readFile(path);
  if (seed.byteLength !== SEED_BYTES) {
    throw new SeedFileError(
      `seed ${path} holds ${seed.byteLength} bytes; a seed is exactly ${SEED_BYTES} raw bytes`,
    );
  }
  return seed;
}

/**
 * Why a private file (the seed, an app secret) at `path` with `mode` must
 * not be used: readable or writable by group or others. Undefined when it
 * is private.
 */
export function sharedAccessProblem(
  label: string,
  path: string,
  mode: number,
): string | undefined {
  if ((mode & 0o077) === 0) return undefined;
  return `${label} ${path} is accessible by group or others (mode ${
    (mode & 0o777).toString(8).padStart(4, "0")
  }); run: chmod 600 ${path}`;
}

async function createSeed(path: string): Promise<Uint8Array> {
  const seed = crypto.getRandomValues(new Uint8Array(SEED_BYTES));
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  const file = await Deno.open(temp, {
    write: true,
    createNew: true,
    mode: 0o600,
  });
  try {
    for (let n = 0; n < seed.byteLength;) {
      n += await file.write(seed.subarray(n));
    }
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.chmod(temp, 0o600);
  try {
    await Deno.link(temp, path);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    // Another process minted it first: use theirs.
    await Deno.remove(temp);
    return await loadOrCreateSeed(path);
  }
  await Deno.remove(temp);
  return seed;
}
