// Petsiuk et al.'s deletion and insertion curves (RISE, 2018). Deletion: the most relevant pixels
// (all channels of each) are set to a baseline, a growing fraction at a time, and the class score
// should fall fast (a low area under the curve is good). Insertion: starting from a blurred copy
// of the image, the most relevant pixels are put back, and the score should rise fast (a high area
// is good). Fractions are k / steps, k = 0…steps; the area is the trapezoid rule over [0, 1].
import { scoresOfImages, type BatchHooks, type ImageShape } from '../attributions/batches';
import type { ClassScorer } from '../attributions/classScorer';
import { checkMapSize, mostRelevantFirst, pixelCount } from './pixelOrder';

export interface DeletionInsertionOptions {
  /** Equal steps from 0 to every pixel: steps + 1 images per curve. */
  steps: number;
  /** What deleted pixels are set to, in model-input space (0 by default, RISE's). */
  deletionValue?: number;
  /** The insertion curve's start: the image blurred by a Gaussian of this σ in pixels (default: RISE's 5 px at 224 px, scaled to the image). */
  blurSigma?: number;
  batchSize?: number;
}

export interface PerturbationCurve {
  /** The fraction of pixels deleted or inserted at each point. */
  fractions: number[];
  /** The class score at each fraction. */
  scores: number[];
  /** Trapezoid rule over the fractions. */
  auc: number;
}

export interface DeletionInsertion {
  deletion: PerturbationCurve;
  insertion: PerturbationCurve;
}

export const DEFAULT_CURVE_STEPS = 16;

export function defaultBlurSigma(height: number, width: number): number {
  return Math.max(1, (5 * Math.min(height, width)) / 224);
}

/** Area under a curve sampled at increasing x, by the trapezoid rule. */
export function trapezoidArea(xs: number[], ys: number[]): number {
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((ys[i] + ys[i - 1]) / 2) * (xs[i] - xs[i - 1]);
  return area;
}

/** Separable Gaussian blur, radius ⌈3σ⌉, the kernel normalised to sum 1, edges extended by repeating the border pixels. */
export function gaussianBlur(input: Float32Array, [height, width, channels]: ImageShape, sigma: number): Float32Array {
  const radius = Math.ceil(3 * sigma);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const weights = kernel.map((value) => value / total);
  const clamp = (value: number, size: number) => Math.min(size - 1, Math.max(0, value));
  const rows = new Float64Array(input.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) sum += weights[k + radius] * input[(y * width + clamp(x + k, width)) * channels + c];
        rows[(y * width + x) * channels + c] = sum;
      }
    }
  }
  const out = new Float32Array(input.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) sum += weights[k + radius] * rows[(clamp(y + k, height) * width + x) * channels + c];
        out[(y * width + x) * channels + c] = sum;
      }
    }
  }
  return out;
}

/** `base` with the first `count` pixels of `order` (all channels) taken from `source`, or set to `value`. */
function withPixels(base: Float32Array, order: Uint32Array, count: number, channels: number, source: Float32Array | number): Float32Array {
  const image = base.slice();
  for (let n = 0; n < count; n++) {
    const offset = order[n] * channels;
    for (let c = 0; c < channels; c++) image[offset + c] = typeof source === 'number' ? source : source[offset + c];
  }
  return image;
}

/** Both curves of one relevance map (row-major [height × width]), their images scored in shared batches. */
export async function deletionInsertion(
  scorer: ClassScorer,
  input: Float32Array,
  inputShape: ImageShape,
  map: Float32Array,
  options: DeletionInsertionOptions,
  hooks: BatchHooks = {},
): Promise<DeletionInsertion> {
  const [height, width, channels] = inputShape;
  const { steps } = options;
  checkMapSize(map, height, width);
  const order = mostRelevantFirst(map);
  const fractions = Array.from({ length: steps + 1 }, (_, k) => k / steps);
  const counts = fractions.map((fraction) => pixelCount(fraction, height * width));
  const blurred = gaussianBlur(input, inputShape, options.blurSigma ?? defaultBlurSigma(height, width));
  const deletionValue = options.deletionValue ?? 0;
  // Images 0…steps delete, steps + 1… insert.
  const image = (k: number) =>
    k <= steps ? withPixels(input, order, counts[k], channels, deletionValue) : withPixels(blurred, order, counts[k - steps - 1], channels, input);
  const scores = Array.from(await scoresOfImages(scorer, inputShape, 2 * (steps + 1), image, { batchSize: options.batchSize, ...hooks }));
  const curve = (values: number[]): PerturbationCurve => ({ fractions, scores: values, auc: trapezoidArea(fractions, values) });
  return { deletion: curve(scores.slice(0, steps + 1)), insertion: curve(scores.slice(steps + 1)) };
}
