// Seeded pseudo-random numbers, so that a filter pattern is the same for the same seed wherever it
// is computed: alone, in any batch, on the CLI or in the extension.

/** Uniform floats in [0, 1). */
export type Random = () => number;

/** mulberry32: tiny, fast and good enough for starting noise and jitter. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One independent stream per (seed, filter): a filter's noise and jitter do not depend on which
 * other filters share its batch. The filter index is mixed in with a multiplicative hash so that
 * neighbouring seeds and filters do not give overlapping streams.
 */
export function randomForFilter(seed: number, filter: number): Random {
  return mulberry32(Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(filter + 1, 0x85ebca6b));
}

/** Uniform float in [min, max). */
export function randomBetween(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}
