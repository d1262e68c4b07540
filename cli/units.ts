/**
 * Human-readable figures for terminal output: byte sizes in binary units,
 * bandwidths and rates.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `bytes` as `812 B`, `1.5 KiB`, `23.4 MiB`, ... */
export function humanBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${Math.round(value)} B`
    : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

/** A bandwidth in bytes per second, e.g. `4.2 MiB/s`. */
export function humanBandwidth(bytesPerSecond: number): string {
  return `${humanBytes(bytesPerSecond)}/s`;
}

/** A rate in Hz with precision fitting its size, e.g. `999 Hz`, `15.0 Hz`. */
export function humanRate(hz: number): string {
  return `${hz >= 100 ? Math.round(hz) : hz.toFixed(1)} Hz`;
}
