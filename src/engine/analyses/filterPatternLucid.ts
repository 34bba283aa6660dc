// The `lucid` preset: feature visualisation as Lucid / Lucent do it, sized for a 40-step grid.
//
// - The image is drawn from a spectrum (patternParameterization.ts): always in the model's valid
//   input range (0–255 before its own preprocessing), coarse structure favoured, colours decorrelated.
// - Adam on the spectrum (Lucid and Lucent use Adam; each image's gradient is first divided by its
//   RMS, so Adam's epsilon means the same on every model whatever its activations' scale).
// - Transformation robustness: in the first quarter of the steps the model sees the image randomly
//   shifted, scaled and rotated (filterPatternTransforms.ts), as a periodic image, which a Fourier
//   image is; the rest settle it untransformed, as it is shown (see SETTLING_FRACTION).
// - The rate warms up over the first tenth of the steps (see WARM_UP_FRACTION); Adam's momentum is
//   shorter than its default (see ADAM_BETA1); in the settling steps each image's rate follows how
//   its own score moves (filterPatternRates.ts).
// - A filter silent on its image (a zero gradient: some ReLU blocks it entirely) takes the step with
//   Lucid's redirected ReLU gradient instead, during the first `redirectedReluSteps` steps
//   (filterPatternRedirectedRelu.ts). An image silent at its last step (a mean activation of 0)
//   takes the next through redirected ReLUs, in the same pass as the others, which keep the true
//   gradient at every ReLU: one pass, not a plain one and then the silent images' again.
//
// Each image of a batch has its own spectrum, Adam moments, random transformations and
// normalisation, so it follows the path it would follow alone.
import * as tf from '@tensorflow/tfjs';
import type { Random } from '../seededRandom';
import type { LucidPresetParameters } from '../../shared/types';
import type { FilterObjective } from './filterPatternObjective';
import { drawTransforms, SamplerStorage, transformDifferentiably, type ImageTransforms } from './filterPatternTransforms';
import { FourierImageParameterization } from './patternParameterization';
import { withRedirectedReluGradients } from './filterPatternRedirectedRelu';
import { PerImageRates } from './filterPatternRates';
import { float32TensorFilledBy, float32ValuesOf } from '../tfjs/float32Values';

/** Adam's learning rate at stepSize 1, tuned for 40 steps on the models of ../shared/realmodels and the example model (Lucid: 0.05 for 512 steps). */
export const LUCID_LEARNING_RATE = 0.7;
/**
 * Adam's first-moment decay: 0.7, not the usual 0.9. A 40-step run has no room for a momentum
 * that averages over ten steps. With the warm-up over a tenth of the steps (it was a fifth), the
 * shorter one raised the median gain over the best real image on every model (FER 2.87× → 2.96×,
 * MNIST 2.61× → 2.84×, the example 4.39× → 4.98×); shorter still (0.5, 0.3) let fewer FER filters
 * beat their best image (91 %).
 */
const ADAM_BETA1 = 0.7;
/** Adam's default (Kingma & Ba; TF's and PyTorch's). */
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;
/**
 * Adam's first steps move every coefficient by the full rate whatever its gradient (m̂ / √v̂ is ±1
 * at step 1), which at this rate clips the image into a binary one in one step and can
 * leave a filter below where the near-gray start had it; the rate grows linearly over this
 * fraction of the steps instead.
 */
const WARM_UP_FRACTION = 0.1;
/**
 * The steps after the first quarter see the image as it is shown, untransformed: the robustness
 * steps leave it off the optimum for the exact image, and these settle it there. The layout a
 * pattern takes is set in the first steps (the grids look alike whether 10 or 30 steps are
 * transformed), and settling longer raised the median gain over the best real image on every model
 * (FER 2.57× → 2.85×, MNIST 2.38× → 2.61×, the example 3.97× → 4.25×, where settling the last
 * quarter only had them) while skipping most of the resampling (see bench/README.md, "Filter
 * patterns on real models").
 */
const SETTLING_FRACTION = 0.75;
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
 * by their own filters; the whole batch's is used every step, a subset's when images found silent
 * where none was expected take their step again with redirected ReLUs.
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
  const shape = parameterization.spectrumShape(randoms.length);
  // Adam's state lives in JavaScript: one read of the gradient and one upload of the spectrum a
  // step replace some twenty elementwise kernels, whose calls cost more than their work here. The
  // model is shown the spectrum weighted and colour-mixed in JavaScript (see weightSpectrum); both
  // go through the backend's memory in place (float32Values.ts).
  const adam = new BatchAdam(parameterization.initialSpectrumValues(randoms), randoms.length, channels);
  const weightedOfAdam = () => float32TensorFilledBy<tf.Rank.R4>(shape, (out) => parameterization.weightSpectrum(adam.values, out));
  let weighted = weightedOfAdam();
  const startingWeighted = weighted.clone();
  const gradient = new Float32Array(adam.values.length);
  try {
    const lossStart = await meanActivationsOf(objective, tf.tidy(() => parameterization.pixelsOfWeighted(weighted)));
    const rates = new PerImageRates(randoms.length);
    const samplerStorage = new SamplerStorage();
    let silentAtStart: boolean[] = [];
    // Images expected to be silent (a mean activation of exactly 0: nothing fires) take their step
    // through redirected ReLUs only, not through a plain pass first; the rest through the plain one.
    let expectedSilent = lossStart.map((loss) => loss === 0);
    for (let step = 1; step <= steps; step++) {
      await beforeStep(step);
      // No transformation at all when every range is 0 (the resampling costs much of a small model's step).
      const settling = step > steps * (1 - SETTLING_FRACTION);
      const transforms = !settling && (lucid.jitter > 0 || lucid.scaleJitter > 0 || lucid.rotationDegrees > 0) ? drawTransforms(randoms, size, lucid) : undefined;
      const redirecting = step <= lucid.redirectedReluSteps;
      const compute = () => scoresAndWeightedGradient(objective, parameterization, weighted, transforms, samplerStorage);
      const scores = readScoresAndGradient(redirecting && expectedSilent.some(Boolean) ? withRedirectedReluGradients(compute, expectedSilent) : compute(), (values) => parameterization.spectrumGradient(values, gradient));
      // A settling step's scores are those of the images as they are shown.
      if (settling) rates.observe(scores);
      let rms = adam.imageRms(gradient);
      if (step === 1) silentAtStart = rms.map((value, i) => expectedSilent[i] || value === 0);
      if (redirecting) {
        // Silent where none was expected (a linear layer after a ReLU that blocks everything): that image again, redirected.
        const missed = everyImage.filter((i) => rms[i] === 0 && !expectedSilent[i]);
        if (missed.length > 0) {
          const again = await redirectedSubsetGradient(objectiveFor, parameterization, weighted, transforms, samplerStorage, missed);
          adam.overwriteImages(gradient, missed, parameterization.spectrumGradient(again));
          rms = adam.imageRms(gradient);
        }
        expectedSilent = Array.from(scores, (score) => score === 0);
      }
      const rate = learningRate * Math.min(1, step / Math.max(1, steps * WARM_UP_FRACTION));
      adam.step(gradient, rms, step, rates.ratesFor(rate));
      weighted.dispose();
      weighted = weightedOfAdam();
    }
    const pixels = tf.tidy(() => parameterization.pixelsOfWeighted(weighted));
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
      return pixels.mul(keep).add(parameterization.pixelsOfWeighted(startingWeighted).mul(tf.sub(1, keep))) as tf.Tensor4D;
    });
    pixels.dispose();
    return { pixels: kept, lossStart, lossEnd, dead };
  } finally {
    tf.dispose([weighted, startingWeighted]);
    parameterization.dispose();
    objective.dispose();
  }
}

/** Each image's score, as seen through its transformation, and its gradient with respect to the image's weighted spectrum. */
function scoresAndWeightedGradient(
  objective: FilterObjective,
  parameterization: FourierImageParameterization,
  weighted: tf.Tensor4D,
  transforms: ImageTransforms | undefined,
  samplerStorage: SamplerStorage,
): { scores: tf.Tensor; gradient: tf.Tensor } {
  return tf.tidy(() => {
    const scores = (values: tf.Tensor) => {
      const pixels = parameterization.pixelsOfWeighted(values as tf.Tensor4D);
      return objective.scoresWithFastGradient(transforms ? transformDifferentiably(pixels, transforms, samplerStorage) : pixels);
    };
    // Images are independent, so seeding every score's gradient with 1 gives each image its own.
    const { value, grad } = tf.valueAndGrad(scores)(weighted, tf.ones([weighted.shape[1]]));
    return { scores: value, gradient: grad };
  });
}

/** The scores' values; the gradient's go to `readGradient`, straight from the backend's memory. Both tensors are disposed. */
function readScoresAndGradient(seen: { scores: tf.Tensor; gradient: tf.Tensor }, readGradient: (values: Float32Array) => void): Float32Array {
  try {
    readGradient(float32ValuesOf(seen.gradient));
    return Float32Array.from(seen.scores.dataSync<'float32'>());
  } finally {
    tf.dispose([seen.scores, seen.gradient]);
  }
}

/** A tensor's values, image after image, in an array of their own; the tensor is disposed. */
async function valuesOf(tensor: tf.Tensor): Promise<Float32Array> {
  try {
    return Float32Array.from(await tensor.data<'float32'>());
  } finally {
    tensor.dispose();
  }
}

/** The gradient (with respect to the weighted spectrum) of some images of the batch (a smaller batch) through redirected ReLU gradients. */
async function redirectedSubsetGradient(
  objectiveFor: (images: number[]) => FilterObjective,
  parameterization: FourierImageParameterization,
  weighted: tf.Tensor4D,
  transforms: ImageTransforms | undefined,
  samplerStorage: SamplerStorage,
  images: number[],
): Promise<Float32Array> {
  const objective = objectiveFor(images);
  // The spectra are channel-major: images along axis 1.
  const subsetSpectrum = tf.tidy(() => tf.gather(weighted, images, 1));
  try {
    const subsetTransforms = transforms && images.map((i) => transforms[i]);
    const { scores, gradient } = withRedirectedReluGradients(() => scoresAndWeightedGradient(objective, parameterization, subsetSpectrum, subsetTransforms, samplerStorage));
    scores.dispose();
    return await valuesOf(gradient);
  } finally {
    subsetSpectrum.dispose();
    objective.dispose();
  }
}

/**
 * Adam (ascending) on a batch of spectra, each image's gradient first divided by its RMS; the
 * moments are per coefficient, so per image. The spectra are channel-major ([channels, batch, K,
 * K], see FourierImageParameterization): segment s of K² coefficients belongs to image s mod batch.
 */
class BatchAdam {
  readonly values: Float32Array;
  private readonly firstMoment: Float32Array;
  private readonly secondMoment: Float32Array;
  private readonly segmentLength: number;

  constructor(
    initial: Float32Array,
    private readonly batchSize: number,
    channels: number,
  ) {
    this.values = Float32Array.from(initial);
    this.segmentLength = initial.length / (batchSize * channels);
    this.firstMoment = new Float32Array(initial.length);
    this.secondMoment = new Float32Array(initial.length);
  }

  /** Each image's gradient RMS. */
  imageRms(gradient: Float32Array): number[] {
    const sums = new Array<number>(this.batchSize).fill(0);
    for (let segment = 0, j = 0; j < gradient.length; segment++) {
      let sum = 0;
      for (const end = j + this.segmentLength; j < end; j++) sum += gradient[j] * gradient[j];
      sums[segment % this.batchSize] += sum;
    }
    const perImage = gradient.length / this.batchSize;
    return sums.map((sum) => Math.sqrt(sum / perImage));
  }

  /** Writes `subsetGradient` (the gradient of the images `images`, in their order, same layout) over theirs in `gradient`. */
  overwriteImages(gradient: Float32Array, images: number[], subsetGradient: Float32Array): void {
    const length = this.segmentLength;
    const channels = subsetGradient.length / (images.length * length);
    for (let channel = 0; channel < channels; channel++) {
      images.forEach((image, k) => {
        const from = (channel * images.length + k) * length;
        gradient.set(subsetGradient.subarray(from, from + length), (channel * this.batchSize + image) * length);
      });
    }
  }

  /** One step, each image at its own rate; an image whose gradient is zero gets a zero normalised gradient. */
  step(gradient: Float32Array, rms: number[], step: number, rates: number[]): void {
    const { values, firstMoment, secondMoment, segmentLength, batchSize } = this;
    const firstScale = 1 / (1 - ADAM_BETA1 ** step);
    const secondScale = 1 / (1 - ADAM_BETA2 ** step);
    for (let segment = 0, start = 0; start < values.length; segment++, start += segmentLength) {
      const image = segment % batchSize;
      adamSegment(values, firstMoment, secondMoment, gradient, start, start + segmentLength, 1 / Math.max(rms[image], RMS_FLOOR), rates[image] * firstScale, secondScale);
    }
  }
}

/**
 * Adam on values start … end − 1, the gradient scaled by `gradientScale`. A function of its own,
 * with the constants in locals: the same loop inside `step`, reading them from the module's scope,
 * took 1.8 times as long.
 */
function adamSegment(
  values: Float32Array,
  firstMoment: Float32Array,
  secondMoment: Float32Array,
  gradient: Float32Array,
  start: number,
  end: number,
  gradientScale: number,
  stepScale: number,
  secondScale: number,
): void {
  const beta1 = ADAM_BETA1;
  const beta2 = ADAM_BETA2;
  const epsilon = ADAM_EPSILON;
  for (let j = start; j < end; j++) {
    const g = gradient[j] * gradientScale;
    const m = beta1 * firstMoment[j] + (1 - beta1) * g;
    const v = beta2 * secondMoment[j] + (1 - beta2) * g * g;
    firstMoment[j] = m;
    secondMoment[j] = v;
    values[j] += (stepScale * m) / (Math.sqrt(v * secondScale) + epsilon);
  }
}

async function meanActivationsOf(objective: FilterObjective, pixels: tf.Tensor4D): Promise<number[]> {
  try {
    return await objective.meanActivations(pixels);
  } finally {
    pixels.dispose();
  }
}
