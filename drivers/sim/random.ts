/**
 * A small seeded pseudo-random generator (mulberry32) for simulated sensor
 * noise: the same seed gives the same sequence on every run and platform.
 *
 * @module
 */

/** A deterministic random source. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Normally distributed with mean 0 and the given standard deviation. */
  gaussian(stdDev: number): number;
}

/** A generator seeded with a 32-bit integer; mix in more values to fork streams. */
export function seededRandom(...seed: number[]): Random {
  let state = 0x9e3779b9;
  for (const s of seed) state = Math.imul(state ^ (s >>> 0), 0x85ebca6b) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    gaussian(stdDev) {
      // Box-Muller; 1 - u keeps the logarithm finite.
      const u = 1 - next();
      const v = next();
      return stdDev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}
