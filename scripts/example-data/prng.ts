// Seeded helpers for the synthetic data set, on top of the engine's mulberry32, so that every
// dataset, shuffle and weight initialisation is reproducible.
import type { Random } from '../../src/engine/seededRandom';

export { mulberry32, randomBetween, type Random } from '../../src/engine/seededRandom';

/** Uniform integer in [min, max] (both inclusive). */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Fisher–Yates shuffle of `0..count-1`, driven by `random`. */
export function shuffledIndices(count: number, random: Random): number[] {
  const indices = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices;
}
