/**
 * The storage folder, created and checked for writing before the agent uses
 * it, so that a folder it cannot write is one line naming the folder.
 *
 * @module
 */
import { fileErrorMessage } from "../core/logging.ts";

/** Creates `storage` if needed and checks that files can be written in it. */
export async function prepareStorage(storage: string): Promise<void> {
  try {
    await Deno.mkdir(storage, { recursive: true });
    const probe = await Deno.makeTempFile({
      dir: storage,
      prefix: ".write-check-",
    });
    await Deno.remove(probe);
  } catch (error) {
    throw new Error(
      `storage ${storage} cannot be written: ${fileErrorMessage(error)}`,
    );
  }
}
