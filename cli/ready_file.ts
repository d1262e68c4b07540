/**
 * Ready files: a command writes one line of JSON once it serves, atomically,
 * so a waiting process never reads half of it.
 *
 * @module
 */
import { dirname } from "node:path";

/** Writes `text` and a newline to `path` through a temporary file and a rename. */
export async function writeReadyFile(
  path: string,
  text: string,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, `${text}\n`);
  await Deno.rename(temp, path);
}
