/**
 * The Deno permissions auki-edge runs with: the flags `deno task compile`
 * bakes into the binary and that the `start`, `relay`, `discovery` and
 * `calibrate:*` tasks of deno.json spell out (README, "Permissions").
 *
 * @module
 */

/**
 * The permission flags of the agent and its commands, in the order deno.json
 * spells them:
 *
 * - `--no-prompt`: a missing permission fails at once instead of asking.
 * - `--allow-read`, `--allow-write`: the storage folder, seed and
 *   configuration wherever the user puts them, `/sys/class/tty` and `/dev`
 *   for `ports`, the native driver cache.
 * - `--allow-net`: libp2p listeners and dials, Discovery, relays, the HTTP
 *   server (status page, metrics).
 * - `--allow-ffi`: libc (`open`, termios, `ioctl`, `flock`, clocks,
 *   `mallopt`), through which serial and video devices are opened, and
 *   native driver libraries, loaded from any path the configuration names.
 * - `--allow-env`: HOME, XDG_CACHE_HOME and the agent's own variables, and
 *   the many variables the npm dependencies probe (colour support, debug).
 * - `--allow-sys=hostname,networkInterfaces`: the agent's name, its MAC
 *   (`app_instance`) and libp2p's listen address expansion.
 * - `--allow-run=timedatectl`: `calibrate clock` asks whether NTP is
 *   synchronized.
 */
export const AGENT_PERMISSIONS: readonly string[] = [
  "--no-prompt",
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-ffi",
  "--allow-env",
  "--allow-sys=hostname,networkInterfaces",
  "--allow-run=timedatectl",
];
