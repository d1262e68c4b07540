/**
 * Replacing a file atomically: readers see the old content or the new one,
 * never a part (a temporary file beside it, then a rename).
 *
 * @module
 */

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Mode of the new file (before the umask); the default is 0o666. */
  mode?: number;
  /** Flushes the content to the disk before the rename (survives power loss). */
  sync?: boolean;
  /**
   * The caller is the file's only writer (one agent holds its storage): the
   * temporary file is `<path>.tmp`, so one left by a crash is reused. Without
   * it the temporary name is unique to the call, for files that several
   * processes may write at once.
   */
  soleWriter?: boolean;
}

/** Writes `data` to `path` through a temporary file beside it and a rename. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const temp = options.soleWriter
    ? `${path}.tmp`
    : `${path}.${crypto.randomUUID()}.tmp`;
  try {
    const file = await Deno.open(temp, {
      write: true,
      create: true,
      truncate: true,
      mode: options.mode,
    });
    try {
      for (let n = 0; n < bytes.byteLength;) {
        n += await file.write(bytes.subarray(n));
      }
      if (options.sync) await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
