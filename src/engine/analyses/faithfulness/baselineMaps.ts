// The trivial explanations every map is compared with: seeded random relevance, and the image's
// own edges (Sobel gradient magnitude). A map that does not beat them explains nothing about the
// model.
import { mulberry32 } from '../../seededRandom';

/** Uniform [0, 1) relevance per pixel, mulberry32(seed), row-major. */
export function randomMap(height: number, width: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: height * width }, () => random());
}

/**
 * The Sobel gradient magnitude √(gx² + gy²) of the image's channel mean (in model-input space),
 * edges extended by repeating the border pixels.
 */
export function sobelMap(input: Float32Array, [height, width, channels]: [number, number, number]): Float32Array {
  const gray = new Float64Array(height * width);
  for (let pixel = 0; pixel < gray.length; pixel++) {
    let total = 0;
    for (let c = 0; c < channels; c++) total += input[pixel * channels + c];
    gray[pixel] = total / channels;
  }
  const at = (y: number, x: number) => gray[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  const map = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx = at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y, x - 1) - at(y + 1, x - 1);
      const gy = at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1) - at(y - 1, x - 1) - 2 * at(y - 1, x) - at(y - 1, x + 1);
      map[y * width + x] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return map;
}
