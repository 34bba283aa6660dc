// The attributions computed from the score's gradient with respect to the input image: vanilla
// saliency, SmoothGrad, Integrated Gradients and Guided Backprop.
import type { GradCamScore } from '../../../shared/types';
import type { AttributionMap } from './attributionMap';
import { DEFAULT_BATCH_SIZE, gradientsOfBatch, maxAbsOverChannels, scoresOfImages, sumOverChannels, type BatchHooks, type ImageShape } from './batches';
import type { ModelScorer } from './classScorer';
import { withGuidedReluGradients } from './guidedRelu';
import { noiseStream, normalDeviates, valueRange } from './seededNoise';

/** The explained class and the score differentiated (its output, or its logit). */
export interface AttributionTarget {
  classIndex: number;
  score: GradCamScore;
}

export interface SmoothGradOptions {
  /** Noisy copies averaged (Smilkov et al. use 50). */
  samples: number;
  /** The noise's standard deviation as a fraction of the image's value range, max − min (Smilkov et al.'s 10–20 %). */
  noiseLevel: number;
  /** Copy k's noise is stream k of this seed (seededNoise.ts), so a map can be reproduced. */
  seed: number;
  batchSize?: number;
}

export interface IntegratedGradientsOptions {
  /** Intervals of the path from the baseline to the image; steps + 1 gradients are taken. */
  steps: number;
  /** In model-input space, [h, w, c] row-major; zeros when omitted (a black image is preprocessPixels of zeros). */
  baseline?: Float32Array;
  batchSize?: number;
}

export const DEFAULT_SMOOTHGRAD: Omit<SmoothGradOptions, 'batchSize'> = { samples: 25, noiseLevel: 0.15, seed: 0 };
export const DEFAULT_INTEGRATED_GRADIENTS_STEPS = 32;

const pixelsOf = ([height, width]: ImageShape) => ({ height, width });

function gradientOfImage(model: ModelScorer, target: AttributionTarget, input: Float32Array, inputShape: ImageShape) {
  return gradientsOfBatch(model, model.scorer(target.classIndex, target.score), input, [1, ...inputShape]);
}

/** Simonyan et al.'s saliency: |∂score/∂input|, the largest over channels. */
export async function saliency(model: ModelScorer, target: AttributionTarget, input: Float32Array, inputShape: ImageShape): Promise<AttributionMap> {
  const { gradients, scores } = gradientOfImage(model, target, input, inputShape);
  return { method: 'saliency', ...pixelsOf(inputShape), map: maxAbsOverChannels(gradients, inputShape[2]), reduction: 'max-abs', perChannel: gradients, scoreValue: scores[0] };
}

/** Springenberg et al.'s guided backpropagation: the gradient with every ReLU guided (guidedRelu.ts); |·|, largest over channels. */
export async function guidedBackprop(model: ModelScorer, target: AttributionTarget, input: Float32Array, inputShape: ImageShape): Promise<AttributionMap> {
  const { gradients, scores } = withGuidedReluGradients(() => gradientOfImage(model, target, input, inputShape));
  return { method: 'guided-backprop', ...pixelsOf(inputShape), map: maxAbsOverChannels(gradients, inputShape[2]), reduction: 'max-abs', perChannel: gradients, scoreValue: scores[0] };
}

/**
 * Sums `weight(k) · gradient(image(k))` over `count` images, a batch at a time; returns the sum and
 * the scores of all images.
 */
async function weightedGradientSum(
  model: ModelScorer,
  target: AttributionTarget,
  inputShape: ImageShape,
  count: number,
  image: (k: number) => Float32Array,
  weight: (k: number) => number,
  options: { batchSize?: number } & BatchHooks,
): Promise<{ sum: Float64Array; scores: Float32Array }> {
  const scorer = model.scorer(target.classIndex, target.score);
  const size = inputShape[0] * inputShape[1] * inputShape[2];
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const sum = new Float64Array(size);
  const scores = new Float32Array(count);
  for (let start = 0; start < count; start += batchSize) {
    await options.checkCancelled?.();
    const batchCount = Math.min(batchSize, count - start);
    const batch = new Float32Array(batchCount * size);
    for (let k = 0; k < batchCount; k++) batch.set(image(start + k), k * size);
    const result = gradientsOfBatch(model, scorer, batch, [batchCount, ...inputShape]);
    for (let k = 0; k < batchCount; k++) {
      const w = weight(start + k);
      for (let i = 0; i < size; i++) sum[i] += w * result.gradients[k * size + i];
    }
    scores.set(result.scores, start);
    options.onProgress?.(start + batchCount, count);
  }
  return { sum, scores };
}

/**
 * Smilkov et al.'s SmoothGrad: the gradient averaged over `samples` copies of the image with
 * Gaussian noise (σ = noiseLevel × (max − min) of the image) added, then |·|, largest over channels.
 */
export async function smoothGrad(
  model: ModelScorer,
  target: AttributionTarget,
  input: Float32Array,
  inputShape: ImageShape,
  options: SmoothGradOptions,
  hooks: BatchHooks = {},
): Promise<AttributionMap> {
  const sigma = options.noiseLevel * valueRange(input);
  const noisy = (k: number) => {
    const noise = normalDeviates(noiseStream(options.seed, k), input.length);
    for (let i = 0; i < noise.length; i++) noise[i] = input[i] + sigma * noise[i];
    return noise;
  };
  const { sum } = await weightedGradientSum(model, target, inputShape, options.samples, noisy, () => 1 / options.samples, { batchSize: options.batchSize, ...hooks });
  const perChannel = Float32Array.from(sum);
  const [scoreValue] = await scoresOfImages(model.scorer(target.classIndex, target.score), inputShape, 1, () => input);
  return { method: 'smoothgrad', ...pixelsOf(inputShape), map: maxAbsOverChannels(perChannel, inputShape[2]), reduction: 'max-abs', perChannel, scoreValue };
}

export interface IntegratedGradientsMap extends AttributionMap {
  /** Σ attributions − (score(image) − score(baseline)): how far the Riemann sum is from completeness (0 when exact). */
  convergenceDelta: number;
}

/**
 * Sundararajan et al.'s Integrated Gradients: (x − x′) · ∫₀¹ ∂score/∂x (x′ + α (x − x′)) dα, the
 * integral by the trapezoid rule on `steps` equal intervals (α = k / steps, the ends weighted ½).
 * Captum's default is Gauss–Legendre; both converge to the same integral. Summed over channels,
 * so the map keeps completeness (its total is score(x) − score(x′), up to convergenceDelta).
 */
export async function integratedGradients(
  model: ModelScorer,
  target: AttributionTarget,
  input: Float32Array,
  inputShape: ImageShape,
  options: IntegratedGradientsOptions,
  hooks: BatchHooks = {},
): Promise<IntegratedGradientsMap> {
  const { steps } = options;
  const baseline = options.baseline ?? new Float32Array(input.length);
  if (baseline.length !== input.length) throw new Error(`an Integrated Gradients baseline of ${baseline.length} values for an input of ${input.length}`);
  const onPath = (k: number) => {
    const alpha = k / steps;
    return input.map((value, i) => baseline[i] + alpha * (value - baseline[i]));
  };
  const weight = (k: number) => (k === 0 || k === steps ? 0.5 : 1) / steps;
  const { sum, scores } = await weightedGradientSum(model, target, inputShape, steps + 1, onPath, weight, { batchSize: options.batchSize, ...hooks });
  const perChannel = new Float32Array(input.length);
  let total = 0;
  for (let i = 0; i < input.length; i++) {
    const attribution = (input[i] - baseline[i]) * sum[i];
    perChannel[i] = attribution;
    total += attribution;
  }
  const scoreValue = scores[steps];
  return {
    method: 'integrated-gradients',
    ...pixelsOf(inputShape),
    map: sumOverChannels(perChannel, inputShape[2]),
    reduction: 'sum',
    perChannel,
    scoreValue,
    convergenceDelta: total - (scoreValue - scores[0]),
  };
}
