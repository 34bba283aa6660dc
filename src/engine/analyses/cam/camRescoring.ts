// The CAM methods that weigh each channel by re-running the model: Score-CAM (the image masked by
// each channel) and Ablation-CAM (each channel zeroed). Channels go through the model in batches;
// between batches progress is reported and the job may stop (checkCancelled throws).
import * as tf from '@tensorflow/tfjs';
import { oneHotRows } from '../../tfjs/oneHotRows';
import type { GradCamScore } from '../../../shared/types';
import type { CamSource } from './camSource';
import { weightedFeatureMapSum } from './camFormulas';

export interface RescoringHooks {
  /** Channels scored so far, of all. */
  onProgress?(done: number, total: number): void;
  checkCancelled(): Promise<void>;
}

/** Channels re-scored in one run of the model. */
export const DEFAULT_RESCORING_BATCH = 32;

/** Runs `scoreBatch` over the channels in batches, giving every channel's score. */
async function scoreChannels(channels: number, batchSize: number, hooks: RescoringHooks, scoreBatch: (start: number, count: number) => Float32Array): Promise<Float32Array> {
  const scores = new Float32Array(channels);
  for (let start = 0; start < channels; start += batchSize) {
    await hooks.checkCancelled();
    const count = Math.min(batchSize, channels - start);
    scores.set(scoreBatch(start, count), start);
    hooks.onProgress?.(start + count, channels);
  }
  return scores;
}

/**
 * Score-CAM: each channel A_k, upsampled bilinearly to the image's size and scaled to 0..1
 * (all zero where it is constant), masks the image; the class's logit for each masked image,
 * put through a softmax over the channels, weighs the channels. The paper subtracts a baseline
 * image's logit first, which the softmax cancels.
 */
export async function scoreCamMap(source: CamSource, hooks: RescoringHooks, batchSize = DEFAULT_RESCORING_BATCH): Promise<Float32Array> {
  const [, , , channels] = source.featureMap.shape;
  const [, height, width] = source.input.shape;
  const logits = await scoreChannels(channels, batchSize, hooks, (start, count) => {
    const masked = tf.tidy(() => {
      const maps = tf.slice(source.featureMap, [0, 0, 0, start], [-1, -1, -1, count]);
      const upsampled = tf.image.resizeBilinear(maps, [height, width], false, true);
      const low = tf.min(upsampled, [0, 1, 2], true);
      const range = tf.sub(tf.max(upsampled, [0, 1, 2], true), low);
      const varies = tf.greater(range, 0);
      const scaled = tf.where(tf.broadcastTo(varies, upsampled.shape), tf.div(tf.sub(upsampled, low), tf.where(varies, range, tf.onesLike(range))), tf.zerosLike(upsampled));
      // [1, H, W, n] → [n, H, W, 1]: one mask per image of the batch.
      const masks = tf.transpose(scaled, [3, 1, 2, 0]);
      return tf.mul(source.input, masks) as tf.Tensor4D;
    });
    try {
      return source.scoreImages(masked, 'logit');
    } finally {
      masked.dispose();
    }
  });
  return weightedFeatureMapSum(source.featureMap, softmax(logits));
}

/**
 * Ablation-CAM: w_k = (y − y_k) / y, where y is the class's score and y_k the score with channel k
 * of the feature map set to zero (the rest of the model unchanged). Where y is 0 the drop itself.
 */
export async function ablationCamMap(source: CamSource, score: GradCamScore, hooks: RescoringHooks, batchSize = DEFAULT_RESCORING_BATCH): Promise<Float32Array> {
  const [, , , channels] = source.featureMap.shape;
  const original = source.scoreValue;
  const ablated = await scoreChannels(channels, batchSize, hooks, (start, count) => {
    const maps = tf.tidy(() => {
      // Row i keeps every channel but start + i.
      const keep = tf.sub(1, oneHotRows(Array.from({ length: count }, (_, i) => start + i), channels)).reshape([count, 1, 1, channels]);
      return tf.mul(source.featureMap, keep) as tf.Tensor4D;
    });
    try {
      return source.scoreFeatureMaps(maps, score);
    } finally {
      maps.dispose();
    }
  });
  const divisor = original === 0 ? 1 : original;
  return weightedFeatureMapSum(source.featureMap, ablated.map((value) => (original - value) / divisor));
}

function softmax(values: Float32Array): Float32Array {
  const max = values.reduce((a, b) => Math.max(a, b), -Infinity);
  const exps = Array.from(values, (value) => Math.exp(value - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return Float32Array.from(exps, (value) => value / total);
}
