/**
 * `app_instance`: the first non-loopback MAC address, lowercase hex without
 * separators (spec cluster.md 3.1).
 *
 * @module
 */

/** The device's app instance id, or an empty string when it has no MAC. */
export function appInstance(): string {
  const macs = Deno.networkInterfaces()
    .filter((i) => i.mac !== "00:00:00:00:00:00")
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((i) => i.mac.replaceAll(":", "").toLowerCase());
  return macs[0] ?? "";
}
