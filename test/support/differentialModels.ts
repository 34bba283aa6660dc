// Running the engine's jobs on one backend and then another, and the measures that compare their
// results; small synthetic models, with seeded weights, that reach the hard cases of back-propagation
// (max pooling after a ReLU or after negative values, odd sizes, 'same' pooling, strides, dilation,
// depthwise and separable convolutions, average pooling).
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initializeBackend } from '../../src/engine/tfjs/backend';
import { type FilterPattern } from '../../src/engine/analyses/filterPatterns';
import { mulberry32 } from '../../src/engine/seededRandom';
import type { PreprocessMode } from '../../src/shared/types';
import { runActivationJob } from '../../src/jobs/activationJob';
import { runFilterPatternJob } from '../../src/jobs/filterPatternJob';
import { runGradCamJob } from '../../src/jobs/gradCamJob';
import { releaseCachedModel } from '../../src/jobs/modelCache';
import { WASM_DIRECTORY, useWasmBackend } from './engineFixtures';
import { glorotLimit, seededUniform } from './goldenFiles';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

export type ComparedBackend = 'wasm' | 'cpu';

const limits = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };
const noCancel = async () => {};

/** Switches the engine to `backend`; the cached model is released first, so the next job loads it onto that backend. */
export async function switchBackend(backend: ComparedBackend): Promise<void> {
  releaseCachedModel();
  if (backend === 'wasm') await useWasmBackend();
  else if (tf.getBackend() !== 'cpu') await initializeBackend('cpu', { wasmDirectory: WASM_DIRECTORY });
  if (tf.getBackend() !== backend) throw new Error(`the ${backend} backend did not start (running on ${tf.getBackend()})`);
}

// ------------------------------------------------------------------------------------------------
// One model's results through the jobs the extension runs

export interface JobPlan {
  modelPath: string;
  /** A PNG at exactly the model's input size: no resizing happens. */
  imagePath: string;
  preprocess?: PreprocessMode;
  /** Grad-CAM targets; undefined: the engine's default (the last convolution). */
  gradCamLayers: (string | undefined)[];
  /** Grad-CAM is run for every class at every target layer. */
  classCount: number;
  filterAscent?: { layer: string; filters: number[]; size: number; steps: number };
}

export interface LayerOutput {
  shape: number[];
  data: Float32Array;
}

export interface GradCamOutcome {
  /** The target as asked (undefined: default) and as the engine resolved it. */
  requestedLayer: string | undefined;
  layer: string;
  classIndex: number;
  /** The model's output for the class. */
  classScore: number;
  heatmap: Float32Array;
  size: [number, number];
  noPositiveEvidence: boolean;
}

export interface JobResults {
  backend: string;
  /** Every layer with a 4-D output, by name. */
  activations: Map<string, LayerOutput>;
  gradCams: GradCamOutcome[];
  filterPatterns: FilterPattern[];
  milliseconds: number;
}

/** Activations of every 4-D layer, Grad-CAM for every class at each target, and a short filter ascent. */
export async function runJobs(plan: JobPlan): Promise<JobResults> {
  const started = performance.now();
  const activations = new Map<string, LayerOutput>();
  await runActivationJob(
    { modelPath: plan.modelPath, imagePath: plan.imagePath, preprocess: plan.preprocess, layers: { first: Number.MAX_SAFE_INTEGER }, colormap: 'viridis', imagesPerRow: 16, limits, thumbnailSize: 0 },
    { onLayer: (image, activation) => void activations.set(image.layerName, { shape: activation.shape, data: activation.data }), checkCancelled: noCancel },
  );
  const gradCams: GradCamOutcome[] = [];
  for (const layer of plan.gradCamLayers) {
    for (let classIndex = 0; classIndex < plan.classCount; classIndex++) {
      const result = await runGradCamJob(
        { modelPath: plan.modelPath, imagePath: plan.imagePath, preprocess: plan.preprocess, layer, targetClass: classIndex, score: 'output', intensity: 0.4, colormap: 'jet', limits },
        { checkCancelled: noCancel },
      );
      gradCams.push({
        requestedLayer: layer,
        layer: result.info.layer.name,
        classIndex: result.info.targetClass.index,
        classScore: result.info.targetClass.score,
        heatmap: result.heatmap,
        size: result.info.heatmapSize,
        noPositiveEvidence: result.info.noPositiveEvidence,
      });
    }
  }
  const filterPatterns: FilterPattern[] = [];
  if (plan.filterAscent) {
    const { layer, filters, size, steps } = plan.filterAscent;
    // The study notes' ascent: each step moves the image by exactly 1 RMS, so the final images say
    // how far the backends' gradients differ (Adam's per-parameter steps would amplify rounding).
    await runFilterPatternJob(
      { modelPath: plan.modelPath, layerName: layer, filters, preprocess: plan.preprocess, parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'chollet', size, steps }, limits },
      { onFilter: (_image, pattern) => void filterPatterns.push(pattern), checkCancelled: noCancel },
    );
  }
  return { backend: tf.getBackend(), activations, gradCams, filterPatterns, milliseconds: performance.now() - started };
}

/** The same jobs on `backend`, the model loaded afresh onto it and released afterwards. */
export async function runJobsOn(backend: ComparedBackend, plan: JobPlan): Promise<JobResults> {
  await switchBackend(backend);
  try {
    return await runJobs(plan);
  } finally {
    releaseCachedModel();
  }
}

// ------------------------------------------------------------------------------------------------
// Measures

/** Pearson correlation; two constant vectors correlate 1 when equal, else 0. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new Error(`lengths differ: ${n} and ${b.length}`);
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i] / n;
    meanB += b[i] / n;
  }
  let covariance = 0;
  let varianceA = 0;
  let varianceB = 0;
  for (let i = 0; i < n; i++) {
    covariance += (a[i] - meanA) * (b[i] - meanB);
    varianceA += (a[i] - meanA) ** 2;
    varianceB += (b[i] - meanB) ** 2;
  }
  if (varianceA === 0 || varianceB === 0) return maxAbsDifference(a, b) === 0 ? 1 : 0;
  return covariance / Math.sqrt(varianceA * varianceB);
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i] - b[i]));
  return Number.isNaN(largest) ? Infinity : largest;
}

export function rmsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / a.length);
}

export function maxAbs(values: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]));
  return largest;
}

/** max |a − b| / max |reference|: the error relative to the layer's largest value (0 when both are all zero). */
export function relativeToPeak(values: ArrayLike<number>, reference: ArrayLike<number>): number {
  const difference = maxAbsDifference(values, reference);
  const peak = maxAbs(reference);
  return difference === 0 ? 0 : difference / peak;
}

export interface PoolingWindows {
  /** The layer whose output the pooling reads. */
  layer: string;
  poolSize: number;
  strides: number;
  padding: 'valid' | 'same';
}

/**
 * How many pooling windows hold only values <= 0 in a channel that has positive values elsewhere:
 * where WASM's MaxPoolGrad of TF.js 4.22 passed no gradient, and where that changed Grad-CAM (a
 * channel that is <= 0 everywhere adds nothing to the heatmap whatever its weight). TensorFlow's
 * 'same' padding: the odd pixel after.
 */
export function nonPositiveWindowCount(output: LayerOutput, windows: PoolingWindows): number {
  const [, height, width, channels] = output.shape;
  const { poolSize, strides } = windows;
  const outputSide = (side: number) => (windows.padding === 'same' ? Math.ceil(side / strides) : Math.floor((side - poolSize) / strides) + 1);
  const padBefore = (side: number) => (windows.padding === 'same' ? Math.floor(Math.max((outputSide(side) - 1) * strides + poolSize - side, 0) / 2) : 0);
  const hasPositive = new Array<boolean>(channels).fill(false);
  output.data.forEach((value, i) => {
    if (value > 0) hasPositive[i % channels] = true;
  });
  let count = 0;
  for (let row = 0; row < outputSide(height); row++) {
    for (let col = 0; col < outputSide(width); col++) {
      for (let c = 0; c < channels; c++) {
        if (!hasPositive[c]) continue;
        let allNonPositive = true;
        for (let y = row * strides - padBefore(height); y < row * strides - padBefore(height) + poolSize; y++) {
          for (let x = col * strides - padBefore(width); x < col * strides - padBefore(width) + poolSize; x++) {
            if (y >= 0 && y < height && x >= 0 && x < width && output.data[(y * width + x) * channels + c] > 0) allNonPositive = false;
          }
        }
        if (allNonPositive) count++;
      }
    }
  }
  return count;
}

// ------------------------------------------------------------------------------------------------
// Synthetic models

/**
 * Seeded weights for every weight of the model, by its role: kernels glorot-uniform; biases and
 * BatchNormalization betas mostly negative, so that many ReLU outputs are zero and many normalised
 * values are negative (whole pooling windows of them); gammas 0.5–1.5; moving means near 0 and
 * variances 0.01–0.05, about those of the small convolution outputs, so that each normalised
 * channel keeps both signs.
 */
export function setSeededWeights(model: tf.LayersModel, seed: number): void {
  model.weights.forEach((weight, index) => {
    const role = weight.originalName.split('/').pop() ?? '';
    // A built model's weights have no unknown dimensions.
    const shape = weight.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const draw = (limit: number, centre = 0) => seededUniform(seed, index, size, limit).map((value) => value + centre);
    const values =
      role === 'kernel' || role === 'depthwise_kernel' || role === 'pointwise_kernel'
        ? draw(glorotLimit(shape))
        : role === 'bias' || role === 'beta'
          ? draw(0.3, -0.15)
          : role === 'gamma'
            ? draw(0.5, 1)
            : role === 'moving_mean'
              ? draw(0.05)
              : role === 'moving_variance'
                ? draw(0.02, 0.03)
                : undefined;
    if (!values) throw new Error(`no seeded values for weight ${weight.originalName}`);
    const tensor = tf.tensor(values, shape);
    weight.write(tensor);
    tensor.dispose();
  });
}

export interface SyntheticModel {
  name: string;
  /** What it exercises. */
  about: string;
  build(): tf.LayersModel;
  inputShape: [number, number, number];
  classCount: number;
  /** An earlier Grad-CAM target, one that a pooling follows. */
  earlierLayer: string;
  filterLayer: string;
  /** The max poolings whose all-<= 0 windows the model is meant to reach. */
  maxPoolInputs: PoolingWindows[];
}

const conv2d = tf.layers.conv2d;
const maxPool = tf.layers.maxPooling2d;

export const SYNTHETIC_MODELS: SyntheticModel[] = [
  {
    name: 'relu_then_max_pool',
    about: 'max pooling (2×2 / 2) after ReLU convolutions, softmax over 5 classes',
    inputShape: [32, 32, 3],
    classCount: 5,
    earlierLayer: 'conv_a',
    filterLayer: 'conv_b',
    maxPoolInputs: [
      { layer: 'conv_a', poolSize: 2, strides: 2, padding: 'valid' },
      { layer: 'conv_b', poolSize: 2, strides: 2, padding: 'valid' },
    ],
    build: () =>
      tf.sequential({
        layers: [
          conv2d({ name: 'conv_a', inputShape: [32, 32, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
          maxPool({ name: 'pool_a', poolSize: 2 }),
          conv2d({ name: 'conv_b', filters: 12, kernelSize: 3, activation: 'relu' }),
          maxPool({ name: 'pool_b', poolSize: 2 }),
          tf.layers.flatten({ name: 'flatten' }),
          tf.layers.dense({ name: 'classes', units: 5, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'batchnorm_then_same_pool_odd_size',
    about: '31×29 input; linear convolutions and BatchNormalization (negative values) before 3×3 / 2 "same" max pooling; one sigmoid unit',
    inputShape: [31, 29, 3],
    classCount: 2,
    earlierLayer: 'norm_a',
    filterLayer: 'conv_b',
    maxPoolInputs: [
      { layer: 'norm_a', poolSize: 3, strides: 2, padding: 'same' },
      { layer: 'norm_b', poolSize: 3, strides: 2, padding: 'same' },
    ],
    build: () =>
      tf.sequential({
        layers: [
          conv2d({ name: 'conv_a', inputShape: [31, 29, 3], filters: 8, kernelSize: 3, padding: 'same', useBias: false }),
          tf.layers.batchNormalization({ name: 'norm_a' }),
          maxPool({ name: 'pool_a', poolSize: 3, strides: 2, padding: 'same' }),
          conv2d({ name: 'conv_b', filters: 8, kernelSize: 3, useBias: false }),
          tf.layers.batchNormalization({ name: 'norm_b' }),
          maxPool({ name: 'pool_b', poolSize: 3, strides: 2, padding: 'same' }),
          tf.layers.flatten({ name: 'flatten' }),
          tf.layers.dense({ name: 'score', units: 1, activation: 'sigmoid' }),
        ],
      }),
  },
  {
    name: 'strided_and_dilated',
    // TF.js 4.22 has no gradient for dilated convolutions (on any backend), so the dilated layer is
    // a Grad-CAM target, whose gradient comes only from the layers after it, and the filter ascent
    // stops before it.
    about: '33×33 input; stride-2 convolutions ("same", and "valid" on an odd size), a dilated (2) convolution, overlapping 3×3 / 1 max pooling, global average pooling, softmax over 4 classes',
    inputShape: [33, 33, 3],
    classCount: 4,
    earlierLayer: 'dilated',
    filterLayer: 'strided',
    maxPoolInputs: [{ layer: 'dilated', poolSize: 3, strides: 1, padding: 'valid' }],
    build: () =>
      tf.sequential({
        layers: [
          conv2d({ name: 'strided', inputShape: [33, 33, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
          conv2d({ name: 'dilated', filters: 8, kernelSize: 3, dilationRate: 2, activation: 'relu' }),
          maxPool({ name: 'overlapping_pool', poolSize: 3, strides: 1 }),
          conv2d({ name: 'strided_odd', filters: 8, kernelSize: 3, strides: 2, activation: 'relu' }),
          conv2d({ name: 'pointwise', filters: 6, kernelSize: 1, activation: 'relu' }),
          tf.layers.globalAveragePooling2d({ name: 'global_pool' }),
          tf.layers.dense({ name: 'classes', units: 4, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'depthwise_separable_average_pool',
    about: '30×30 input; a depthwise convolution (multiplier 2), a separable convolution + BatchNormalization + ReLU before 2×2 max pooling, 3×3 / 2 "same" average pooling; one sigmoid unit',
    inputShape: [30, 30, 3],
    classCount: 2,
    earlierLayer: 'depthwise',
    filterLayer: 'separable',
    maxPoolInputs: [{ layer: 'relu', poolSize: 2, strides: 2, padding: 'valid' }],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.depthwiseConv2d({ name: 'depthwise', inputShape: [30, 30, 3], kernelSize: 3, depthMultiplier: 2, activation: 'relu' }),
          tf.layers.separableConv2d({ name: 'separable', filters: 8, kernelSize: 3, padding: 'same', useBias: false }),
          tf.layers.batchNormalization({ name: 'norm' }),
          tf.layers.activation({ name: 'relu', activation: 'relu' }),
          maxPool({ name: 'max_pool', poolSize: 2 }),
          tf.layers.averagePooling2d({ name: 'same_average_pool', poolSize: 3, strides: 2, padding: 'same' }),
          tf.layers.flatten({ name: 'flatten' }),
          tf.layers.dense({ name: 'score', units: 1, activation: 'sigmoid' }),
        ],
      }),
  },
];

/** A seeded PNG at exactly width × height: smooth bands, a bright block and noise, so that activations vary. */
export async function writeSeededImage(file: string, [height, width, channels]: [number, number, number], seed: number): Promise<string> {
  const random = mulberry32(seed);
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inBlock = x > width / 4 && x < width / 2 && y > height / 3 && y < (3 * height) / 4;
      for (let c = 0; c < channels; c++) {
        const base = inBlock ? 220 - 50 * c : 128 + 90 * Math.sin((x + 2 * c) / 3.7) * Math.cos((y - c) / 5.3);
        pixels[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(base + 40 * (random() - 0.5))));
      }
    }
  }
  await sharp(pixels, { raw: { width, height, channels: channels as 1 | 3 } }).png().toFile(file);
  return file;
}
