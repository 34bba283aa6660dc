// The `lucid` preset: feature visualisation as Lucid / Lucent do it, sized for a 40-step grid.
//
// - The image is drawn from a spectrum (patternParameterization.ts): always in the model's valid
//   input range (0–255 before its own preprocessing), coarse structure favoured, colours decorrelated.
// - Adam on the spectrum (Lucid and Lucent use Adam; each image's gradient is first divided by its
//   RMS, so Adam's epsilon means the same on every model whatever its activations' scale).
// - Transformation robustness: every step the model sees the image randomly shifted, scaled and
//   rotated (filterPatternTransforms.ts), with 'wrap' fill, which suits a periodic Fourier image;
//   the last quarter of the steps settle the image untransformed, as it is shown.
// - The rate warms up over the first fifth of the steps (see WARM_UP_FRACTION).
// - A filter silent on its image (a zero gradient: some ReLU blocks it entirely) takes the step with
//   Lucid's redirected ReLU gradient instead, during the first `redirectedReluSteps` steps
//   (filterPatternRedirectedRelu.ts); the extra gradient is taken only for batches that have one.
//
// Each image of a batch has its own spectrum, Adam moments, random transformations and
// normalisation, so it follows the path it would follow alone.
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../seededRandom';
import type { LucidPresetParameters } from '../../shared/types';
import type { FilterObjective } from './filterPatternObjective';
import { drawTransforms, transformDifferentiably, type ImageTransforms } from './filterPatternTransforms';
import { FourierImageParameterization } from './patternParameterization';
import { withRedirectedReluGradients } from './filterPatternRedirectedRelu';

/** Adam's learning rate at stepSize 1, tuned for 40 steps on the models of ../shared/realmodels and the example model (Lucid: 0.05 for 512 steps). */
export const LUCID_LEARNING_RATE = 1;
/** Adam's defaults (Kingma & Ba; TF's and PyTorch's). */
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;
/**
 * Adam's first steps move every coefficient by the full rate whatever its gradient (m̂ / √v̂ is ±1
 * at step 1), which at this rate saturates the sigmoid into a binary image in one step and can
 * leave a filter below where the near-gray start had it; the rate grows linearly over this
 * fraction of the steps instead.
 */
const WARM_UP_FRACTION = 0.2;
/**
 * The last steps see the image as it is shown, untransformed: the robustness steps leave it slightly
 * off the optimum for the exact image, and these settle it there (FER's first layer went from 0.32×
 * to 1.24× of the best real image; see bench/README.md, "Filter patterns on real models").
 */
const SETTLING_FRACTION = 0.25;
/** Keeps the RMS division finite where a gradient is exactly zero (a dead filter: then Adam does not move). */
const RMS_FLOOR = 1e-30;

export interface LucidAscent {
  /** Final images, [batch, size, size, channels], 0–255; a dead filter's is its starting image. */
  pixels: tf.Tensor4D;
  lossStart: number[];
  lossEnd: number[];
  /**
   * True where nothing moved the filter: its gradient was exactly zero at the start, and its mean
   * activation ended where it started (redirected ReLU gradients did not make it fire either).
   */
  dead: boolean[];
}

/**
 * Optimises one batch. `objectiveFor(images)` scores the given images of the batch (by position)
 * by their own filters; the whole batch's is used every step, a subset's when silent images take
 * their step again with redirected ReLUs.
 */
export async function ascendLucid(
  objectiveFor: (images: number[]) => FilterObjective,
  randoms: Random[],
  size: number,
  channels: number,
  steps: number,
  learningRate: number,
  lucid: LucidPresetParameters,
  beforeStep: (step: number) => Promise<void>,
): Promise<LucidAscent> {
  const everyImage = randoms.map((_, i) => i);
  const objective = objectiveFor(everyImage);
  const parameterization = new FourierImageParameterization(size, channels);
  let spectrum = parameterization.initialSpectrum(randoms);
  const startingSpectrum = spectrum.clone();
  let firstMoment = tf.zerosLike(spectrum);
  let secondMoment = tf.zerosLike(spectrum);
  try {
    const lossStart = await meanActivationsOf(objective, tf.tidy(() => parameterization.pixels(spectrum)));
    let silentAtStart: boolean[] = [];
    for (let step = 1; step <= steps; step++) {
      await beforeStep(step);
      // No transformation at all when every range is 0 (the resampling costs much of a small model's step).
      const settling = step > steps * (1 - SETTLING_FRACTION);
      const transforms = !settling && (lucid.jitter > 0 || lucid.scaleJitter > 0 || lucid.rotationDegrees > 0) ? drawTransforms(randoms, size, lucid) : undefined;
      let { gradient, rms } = normalisedGradient(objective, parameterization, spectrum, transforms);
      try {
        if (step === 1) silentAtStart = Array.from(await rms.data(), (value) => value === 0);
        if (step <= lucid.redirectedReluSteps) {
          const silent = Array.from(await rms.data(), (value) => value === 0);
          if (silent.some(Boolean)) {
            const merged = redirectSilentImages(objectiveFor, parameterization, spectrum, transforms, silent, { gradient, rms });
            tf.dispose([gradient, rms]);
            ({ gradient, rms } = merged);
          }
        }
        const rate = learningRate * Math.min(1, step / Math.max(1, steps * WARM_UP_FRACTION));
        const next = adamStep(spectrum, firstMoment, secondMoment, gradient, step, rate);
        tf.dispose([firstMoment, secondMoment, spectrum]);
        ({ spectrum, firstMoment, secondMoment } = next);
      } finally {
        tf.dispose([gradient, rms]);
      }
    }
    const pixels = tf.tidy(() => parameterization.pixels(spectrum));
    let lossEnd: number[];
    try {
      lossEnd = await objective.meanActivations(pixels);
    } catch (error) {
      pixels.dispose();
      throw error;
    }
    const dead = silentAtStart.map((silent, i) => silent && lossEnd[i] === lossStart[i]);
    if (!dead.some(Boolean)) return { pixels, lossStart, lossEnd, dead };
    // A filter nothing moved keeps its starting image, as in the other presets: where redirected
    // gradients wandered without making it fire, they went through ties (max pooling over zeros)
    // that each backend breaks its own way, and the image would say nothing anyway.
    const kept = tf.tidy(() => {
      const keep = tf.tensor4d(dead.map((isDead) => (isDead ? 0 : 1)), [dead.length, 1, 1, 1]);
      return pixels.mul(keep).add(parameterization.pixels(startingSpectrum).mul(tf.sub(1, keep))) as tf.Tensor4D;
    });
    pixels.dispose();
    return { pixels: kept, lossStart, lossEnd, dead };
  } finally {
    tf.dispose([spectrum, startingSpectrum, firstMoment, secondMoment]);
    parameterization.dispose();
    objective.dispose();
  }
}

interface NormalisedGradient {
  /** Each image's gradient divided by its RMS (zero where it is zero). */
  gradient: tf.Tensor4D;
  /** [batch]: each image's gradient RMS before the division. */
  rms: tf.Tensor1D;
}

/** The gradient of each image's score, as seen through its transformation, with respect to its spectrum. */
function normalisedGradient(
  objective: FilterObjective,
  parameterization: FourierImageParameterization,
  spectrum: tf.Tensor4D,
  transforms: ImageTransforms | undefined,
): NormalisedGradient {
  return tf.tidy(() => {
    const score = (values: tf.Tensor) => {
      const pixels = parameterization.pixels(values as tf.Tensor4D);
      return objective.scoresWithFastGradient(transforms ? transformDifferentiably(pixels, transforms) : pixels).sum();
    };
    const gradient = tf.grad(score)(spectrum);
    const rms = gradient.square().mean([1, 2, 3], true).sqrt();
    return { gradient: gradient.div(rms.maximum(RMS_FLOOR)) as tf.Tensor4D, rms: rms.reshape([-1]) as tf.Tensor1D };
  });
}

/**
 * The step again for the silent images only (a smaller batch), with redirected ReLU gradients; the
 * others keep their own, so no image's path depends on its batch.
 */
function redirectSilentImages(
  objectiveFor: (images: number[]) => FilterObjective,
  parameterization: FourierImageParameterization,
  spectrum: tf.Tensor4D,
  transforms: ImageTransforms | undefined,
  silent: boolean[],
  plain: NormalisedGradient,
): NormalisedGradient {
  const silentImages = silent.flatMap((isSilent, i) => (isSilent ? [i] : []));
  const objective = objectiveFor(silentImages);
  try {
    const subset = transforms && { toSeen: silentImages.map((i) => transforms.toSeen[i]), toImage: silentImages.map((i) => transforms.toImage[i]) };
    const silentSpectrum = tf.tidy(() => tf.gather(spectrum, silentImages));
    const redirected = withRedirectedReluGradients(() => normalisedGradient(objective, parameterization, silentSpectrum, subset));
    silentSpectrum.dispose();
    // Image i comes from the plain gradients, or from its place after them among the redirected ones.
    const order = silent.map((isSilent, i) => (isSilent ? silent.length + silentImages.indexOf(i) : i));
    const merged = tf.tidy(() => ({
      gradient: tf.gather(tf.concat([plain.gradient, redirected.gradient]), order) as tf.Tensor4D,
      rms: tf.gather(tf.concat([plain.rms, redirected.rms]), order) as tf.Tensor1D,
    }));
    tf.dispose([redirected.gradient, redirected.rms]);
    return merged;
  } finally {
    objective.dispose();
  }
}

/** Adam (ascending), on every image's spectrum at once; its moments are per coefficient, so per image. */
function adamStep(spectrum: tf.Tensor4D, firstMoment: tf.Tensor4D, secondMoment: tf.Tensor4D, gradient: tf.Tensor4D, step: number, learningRate: number) {
  return tf.tidy(() => {
    const m = firstMoment.mul(ADAM_BETA1).add<tf.Tensor4D>(gradient.mul(1 - ADAM_BETA1));
    const v = secondMoment.mul(ADAM_BETA2).add<tf.Tensor4D>(gradient.square().mul(1 - ADAM_BETA2));
    const correctedM = m.div(1 - ADAM_BETA1 ** step);
    const correctedV = v.div(1 - ADAM_BETA2 ** step);
    return { spectrum: spectrum.add<tf.Tensor4D>(correctedM.div(correctedV.sqrt().add(ADAM_EPSILON)).mul(learningRate)), firstMoment: m, secondMoment: v };
  });
}

async function meanActivationsOf(objective: FilterObjective, pixels: tf.Tensor4D): Promise<number[]> {
  try {
    return await objective.meanActivations(pixels);
  } finally {
    pixels.dispose();
  }
}
