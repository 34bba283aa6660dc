// The study notes' `deprocess_image`: turns an optimised input image (any range) into displayable
// 8-bit pixels by centring it, scaling it to a standard deviation of 0.1 around 0.5 and clipping.
import type { FilterPatternPreset } from '../shared/types';

/** Centre gray: what deprocess_image makes of a constant image ((0 / 1e-5) × 0.1 + 0.5, × 255, truncated). */
export const CONSTANT_IMAGE_GRAY = 127;

/**
 * `x -= x.mean(); x /= (x.std() + 1e-5); x *= 0.1; x += 0.5; clip to [0, 1]; x *= 255;
 * astype('uint8')` — over all pixels and channels together, in float64 as NumPy computes it, with
 * NumPy's population std and truncation to uint8. The input is not modified.
 */
export function deprocessImage(x: ArrayLike<number>): Uint8Array {
  const n = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (x[i] - mean) ** 2;
  const std = Math.sqrt(squares / n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const centred = ((x[i] - mean) / (std + 1e-5)) * 0.1 + 0.5;
    out[i] = Math.trunc(Math.min(1, Math.max(0, centred)) * 255);
  }
  return out;
}

/** The tile shown for a dead filter: flat, as deprocess_image renders a constant image, not the untouched noise. */
export function constantImageTile(length: number): Uint8Array {
  return new Uint8Array(length).fill(CONSTANT_IMAGE_GRAY);
}

/**
 * The tile for one filter pattern: flat for a dead filter; the `lucid` preset's image as it is
 * (already a valid 0–255 image, which the notes' normalisation would wash out to gray), rounded;
 * the study notes' deprocess_image for `chollet` and `clear`.
 */
export function renderPatternTile(pattern: { pixels: ArrayLike<number>; dead: boolean }, preset: FilterPatternPreset): Uint8Array {
  if (pattern.dead) return constantImageTile(pattern.pixels.length);
  if (preset !== 'lucid') return deprocessImage(pattern.pixels);
  const tile = new Uint8Array(pattern.pixels.length);
  for (let i = 0; i < tile.length; i++) tile[i] = Math.round(Math.min(255, Math.max(0, pattern.pixels[i])));
  return tile;
}
