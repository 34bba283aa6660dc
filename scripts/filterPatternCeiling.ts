// How far could a layer's filters go? `npm run filters:quality -- --ceiling N` takes each `lucid`
// pattern further by N steps of plain Adam on the pixels themselves: no transformations, no Fourier
// parameterisation, each image's gradient divided by its RMS, the pixels kept in 0–255 (the
// model's input range). Nothing is traded for readability here (the images gain high-frequency
// speckle), so the best activation it reaches is an estimate of what a pattern can reach at all, a
// yardstick for the gains `lucid` reaches in 40 steps. It is a benchmark tool, not a preset.
import * as tf from '@tensorflow/tfjs';
import type { FilterPattern } from '../src/engine/analyses/filterPatterns';
import { FilterObjective, patternPath, type PatternModel } from '../src/engine/analyses/filterPatternObjective';
import type { PreprocessMode } from '../src/shared/types';

/** Images ascended together. */
const POLISH_BATCH = 16;
/** Adam's largest move per step, in pixel values (0–255). */
const POLISH_RATE = 4;
/** The activation is read every this many steps (and at the end); the best reading counts. */
const READ_EVERY = 25;

export interface CeilingLayer {
  model: PatternModel;
  modelPath: string;
  layer: { index: number; name: string };
  filterCount: number;
  preprocess: PreprocessMode;
}

/** Each pattern's best mean activation over `steps` steps of projected pixel-space Adam, starting from the pattern (so never below it). */
export async function polishedActivations(layer: CeilingLayer, patterns: FilterPattern[], steps: number): Promise<number[]> {
  const layerPath = patternPath(layer.model, layer.layer, layer.modelPath);
  const best: number[] = [];
  for (let start = 0; start < patterns.length; start += POLISH_BATCH) {
    const batch = patterns.slice(start, start + POLISH_BATCH);
    const objective = new FilterObjective(layerPath, batch.map((pattern) => pattern.filter), layer.filterCount, layer.preprocess);
    try {
      best.push(...(await polishBatch(objective, batch, steps)));
    } finally {
      objective.dispose();
    }
  }
  return best;
}

async function polishBatch(objective: FilterObjective, patterns: FilterPattern[], steps: number): Promise<number[]> {
  const { size, channels } = patterns[0];
  const shape: [number, number, number, number] = [patterns.length, size, size, channels];
  const perImage = size * size * channels;
  const pixels = new Float32Array(patterns.length * perImage);
  patterns.forEach((pattern, i) => pixels.set(pattern.pixels, i * perImage));
  const firstMoment = new Float32Array(pixels.length);
  const secondMoment = new Float32Array(pixels.length);
  const best = patterns.map((pattern) => pattern.lossEnd);
  for (let step = 1; step <= steps; step++) {
    const gradient = tf.tidy(() => tf.grad((x) => objective.scores(x as tf.Tensor4D).sum())(tf.tensor4d(pixels, shape)).dataSync<'float32'>());
    for (let image = 0; image < patterns.length; image++) {
      let sum = 0;
      for (let j = image * perImage; j < (image + 1) * perImage; j++) sum += gradient[j] * gradient[j];
      const rms = Math.sqrt(sum / perImage);
      if (rms === 0) continue;
      for (let j = image * perImage; j < (image + 1) * perImage; j++) {
        const g = gradient[j] / rms;
        firstMoment[j] = 0.9 * firstMoment[j] + 0.1 * g;
        secondMoment[j] = 0.999 * secondMoment[j] + 0.001 * g * g;
        const move = (POLISH_RATE * firstMoment[j]) / (1 - 0.9 ** step) / (Math.sqrt(secondMoment[j] / (1 - 0.999 ** step)) + 1e-8);
        pixels[j] = Math.min(255, Math.max(0, pixels[j] + move));
      }
    }
    if (step % READ_EVERY === 0 || step === steps) {
      const input = tf.tensor4d(pixels, shape);
      try {
        (await objective.meanActivations(input)).forEach((activation, i) => (best[i] = Math.max(best[i], activation)));
      } finally {
        input.dispose();
      }
    }
  }
  return best;
}
