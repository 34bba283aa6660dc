// Running a scorer on many images in batches, each batch's tensors freed before the next, with
// progress and cancellation between batches; and the per-pixel reductions of channel values.
import * as tf from '@tensorflow/tfjs';
import { withoutStrandedTensors } from '../../tfjs/strandedGradientTensors';
import type { ClassScorer, ModelScorer } from './classScorer';

export type ImageShape = [number, number, number];

/** How a long computation reports and stops: the jobs' hooks. */
export interface BatchHooks {
  /** After each batch: images done of the total. */
  onProgress?(done: number, total: number): void;
  /** Between batches; throws (JobCancelledError) to stop there. */
  checkCancelled?(): Promise<void>;
}

/** Images per forward or backward pass. */
export const DEFAULT_BATCH_SIZE = 8;

/**
 * The scorer's value on `count` images, `makeImage(k)` giving image k (preprocessed, [h, w, c]
 * row-major), `batchSize` at a time.
 */
export async function scoresOfImages(
  scorer: ClassScorer,
  inputShape: ImageShape,
  count: number,
  makeImage: (index: number) => Float32Array,
  options: { batchSize?: number } & BatchHooks = {},
): Promise<Float32Array> {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const imageSize = inputShape[0] * inputShape[1] * inputShape[2];
  const scores = new Float32Array(count);
  for (let start = 0; start < count; start += batchSize) {
    await options.checkCancelled?.();
    const size = Math.min(batchSize, count - start);
    const batch = new Float32Array(size * imageSize);
    for (let k = 0; k < size; k++) batch.set(makeImage(start + k), k * imageSize);
    scores.set(
      tf.tidy(() => scorer(tf.tensor4d(batch, [size, ...inputShape])).dataSync() as Float32Array),
      start,
    );
    options.onProgress?.(start + size, count);
  }
  return scores;
}

/** The gradient of the score, and the score, of each image of a batch ([batch, h, w, c] row-major). */
export function gradientsOfBatch(
  modelScorer: Pick<ModelScorer, 'differentiate'>,
  scorer: ClassScorer,
  batch: Float32Array,
  batchShape: [number, number, number, number],
): { gradients: Float32Array; scores: Float32Array } {
  return modelScorer.differentiate(() =>
    withoutStrandedTensors(() => {
      let scores = new Float32Array(0);
      const x = tf.tensor4d(batch, batchShape);
      // The images are independent, so the gradient of the sum is each image's own gradient.
      const gradient = tf.grad((inputs: tf.Tensor) => {
        const perImage = scorer(inputs as tf.Tensor4D);
        scores = (perImage.dataSync() as Float32Array).slice();
        return tf.sum(perImage);
      })(x);
      return { gradients: (gradient.dataSync() as Float32Array).slice(), scores };
    }),
  );
}

/** Per pixel, the largest |value| over channels (Simonyan et al.'s saliency, tf-keras-vis' reduction). */
export function maxAbsOverChannels(values: Float32Array, channels: number): Float32Array {
  const map = new Float32Array(values.length / channels);
  for (let pixel = 0; pixel < map.length; pixel++) {
    let largest = 0;
    for (let c = 0; c < channels; c++) largest = Math.max(largest, Math.abs(values[pixel * channels + c]));
    map[pixel] = largest;
  }
  return map;
}

/** Per pixel, the sum over channels (keeps Integrated Gradients' completeness: the map sums to the attribution total). */
export function sumOverChannels(values: Float32Array, channels: number): Float32Array {
  const map = new Float32Array(values.length / channels);
  for (let pixel = 0; pixel < map.length; pixel++) {
    let total = 0;
    for (let c = 0; c < channels; c++) total += values[pixel * channels + c];
    map[pixel] = total;
  }
  return map;
}
