/**
 * The error of a configuration mistake, in a module of its own so the command
 * line can recognise it without loading the configuration schema.
 *
 * @module
 */

/** A configuration mistake; the message names the file and the field. */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
