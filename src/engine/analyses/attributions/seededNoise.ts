// Seeded noise that the reference script reproduces draw for draw (scripts/reference/
// make_attribution_golden.py): mulberry32 streams (src/engine/seededRandom.ts), one per image, and
// normal deviates from them by Box–Muller.
import { mulberry32, type Random } from '../../seededRandom';

const GOLDEN_RATIO_32 = 0x9e3779b1;

/** Stream `index` of `seed` (the k-th noisy sample, the k-th imputed image): (seed + (index + 1) · 0x9e3779b1) mod 2³². */
export function noiseStream(seed: number, index: number): Random {
  return mulberry32((seed + Math.imul(index + 1, GOLDEN_RATIO_32)) >>> 0);
}

/**
 * `count` standard normal deviates: draws (u1, u2) in pairs give √(−2 ln(1 − u1)) · cos(2π u2) and
 * then · sin(2π u2); an odd count drops the last sine.
 */
export function normalDeviates(random: Random, count: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    values[i] = radius * Math.cos(angle);
    if (i + 1 < count) values[i + 1] = radius * Math.sin(angle);
  }
  return values;
}

/** The spread of an input's values (max − min), which noise levels are fractions of. */
export function valueRange(values: Float32Array): number {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return values.length === 0 ? 0 : max - min;
}
