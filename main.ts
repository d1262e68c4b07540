/**
 * auki-edge: an edge sensor agent for the Auki network. Entry point of the
 * `auki-edge` command and of the compiled binary.
 *
 * @module
 */
import { main } from "./cli/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
