/**
 * Ready files: a command writes one line of JSON once it serves, atomically,
 * so a waiting process never reads half of it.
 *
 * @module
 */
import { dirname } from "node:path";
import { writeFileAtomic } from "../core/files.ts";

/** Writes `text` and a newline to `path` through a temporary file and a rename. */
export async function writeReadyFile(
  path: string,
  text: string,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${text}\n`);
}
