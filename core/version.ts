/**
 * The release of auki-edge: `deno.json`'s version, imported as a module so a
 * compiled binary carries it.
 *
 * @module
 */
import project from "../deno.json" with { type: "json" };

/** The auki-edge release, e.g. `0.1.0`. */
export const VERSION: string = project.version;
