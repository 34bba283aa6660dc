// What each convolution filter responds to, by gradient ascent in input space (the study notes'
// `generate_pattern`), for many filters of one layer at once.
//
// `chollet` is the notes' algorithm: start from gray noise in pixel space, and 40 times add the
// gradient of the filter's mean activation, divided by its RMS. `clear` adds what makes patterns
// recognisable beyond the notes: random jitter, scale and rotation at each step, a squared
// total-variation penalty and octaves of growing resolution. Both are deterministic for a seed.
//
// Batching: image i of a batch is scored by filter f_i only, and inference mode keeps the images of
// a batch independent, so the gradient of the summed scores with respect to image i is that of
// f_i's score alone; normalising it per image keeps each image on the path it would follow alone.
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../shared/errors';
import { CONVOLUTION_OPS, convolutionOutputNodes } from '../models/graph/graphConvolutions';
import type { GraphNetwork } from '../models/graph/graphNetwork';
import { graphPatternPath } from '../models/graph/graphPatternPath';
import { layerOutputPath, layerSites } from '../models/layers/layerSites';
import { preprocessTensor } from '../input/preprocessTensor';
import { randomBetween, randomForFilter, type Random } from '../seededRandom';
import type { ClearPresetParameters, FilterPatternParameters, FilterPatternPlan, LayerInfo, ModelSummary, PreprocessMode, Shape } from '../../shared/types';
import { DEFAULT_FILTER_COUNT } from '../../shared/defaults';

/** Filters optimised together at most: WASM gains little beyond this, and smaller batches let tiles stream in sooner. */
const DEFAULT_MAX_BATCH_SIZE = 16;
/** Forward activations (float32 values) one batch may hold; the backward pass needs about as much again. */
const ACTIVATION_BUDGET = 2 ** 25;

/** The notes' start: `np.random.random(...) * 20 + 128`. */
const NOISE_OFFSET = 128;
const NOISE_SPREAD = 20;
/** The notes' `grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)`. */
const RMS_EPSILON = 1e-5;

const CONVOLUTION_CLASSES = new Set(['Conv2D', 'SeparableConv2D', 'DepthwiseConv2D', 'Conv2DTranspose']);

export interface FilterPatternRequest {
  layerName: string;
  /** Filter indices in tile order; omitted: the first 64 (or all, when fewer). */
  filters?: number[];
  parameters: FilterPatternParameters;
  maxBatchSize?: number;
}

/** One filter's result: the final image in pixel space (not clipped) and how its activation grew. */
export interface FilterPattern {
  filter: number;
  /** size × size × channels, row-major, channels last. */
  pixels: Float32Array;
  size: number;
  channels: number;
  lossStart: number;
  lossEnd: number;
  steps: number;
  dead: boolean;
}

export interface FilterAscentHooks {
  /** Awaited before each step (1-based, of `totalSteps`); what it throws stops the ascent, its tensors freed. */
  beforeStep?(step: number, totalSteps: number): void | Promise<void>;
}

/** Checks the request against the model and chooses the batch size; every problem is an InputError on the model file. */
export function planFilterPatterns(model: PatternModel, summary: ModelSummary, request: FilterPatternRequest): FilterPatternPlan {
  const modelPath = summary.modelPath;
  const layer = summary.layers.find((candidate) => candidate.name === request.layerName);
  if (!layer) throw new InputError(modelPath, `has no layer named "${request.layerName}"`);
  checkHasFilters(model, layer, modelPath);
  const [, , inputChannels] = summary.inputShape;
  const inputCount = model instanceof tf.LayersModel ? model.inputs.length : 1;
  if (summary.inputShape.length !== 3 || (inputChannels !== 1 && inputChannels !== 3) || inputCount !== 1) {
    throw new InputError(modelPath, `takes input of shape ${JSON.stringify(summary.inputShape)}; filter patterns need one image input with 1 or 3 channels`);
  }
  const filterCount = (layer.outputShape as Shape)[3] as number;
  const filters = request.filters ?? Array.from({ length: Math.min(DEFAULT_FILTER_COUNT, filterCount) }, (_, i) => i);
  const outOfRange = filters.find((filter) => !Number.isInteger(filter) || filter < 0 || filter >= filterCount);
  if (outOfRange !== undefined) {
    throw new InputError(modelPath, `layer "${layer.name}" has ${filterCount} filters (0–${filterCount - 1}); there is no filter ${outOfRange}`);
  }
  const octaveSizes = octaveSizesFor(request.parameters);
  const patternModel = patternPath(model, layer, modelPath);
  const smallest = octaveSizes[0];
  const [, height, width] = patternModel.computeOutputShape([1, smallest, smallest, inputChannels]) as number[];
  if (!(height >= 1 && width >= 1)) {
    throw new InputError(modelPath, `layer "${layer.name}" has no output for a ${smallest}×${smallest} input; use a larger size${octaveSizes.length > 1 ? ' or fewer octaves' : ''}`);
  }
  const perImage = activationValuesPerImage(patternModel, summary.inputShape, request.parameters.size);
  const batchSize = Math.max(1, Math.min(request.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE, filters.length, Math.floor(ACTIVATION_BUDGET / perImage)));
  return {
    modelPath,
    layerIndex: layer.index,
    layerName: layer.name,
    filterCount,
    filters,
    inputChannels,
    batchSize,
    octaveSizes,
    stepsPerFilter: octaveSizes.length * request.parameters.steps,
  };
}

/** `chollet`: one resolution. `clear`: `octaves` resolutions growing by `octaveScale`, ending at `size`. */
function octaveSizesFor(parameters: FilterPatternParameters): number[] {
  if (parameters.preset === 'chollet') return [parameters.size];
  const { octaves, octaveScale } = parameters.clear;
  return Array.from({ length: octaves }, (_, octave) => Math.max(1, Math.round(parameters.size / octaveScale ** (octaves - 1 - octave))));
}

/** Splits the filters, in order, into batches of at most `batchSize`. */
export function filterBatches(filters: number[], batchSize: number): number[][] {
  const batches: number[][] = [];
  for (let start = 0; start < filters.length; start += batchSize) batches.push(filters.slice(start, start + batchSize));
  return batches;
}

/**
 * Optimises one batch: image i maximises filter `filters[i]`. Every tensor made here is disposed
 * before it returns or throws.
 */
export async function optimizeFilterPatterns(
  model: PatternModel,
  plan: FilterPatternPlan,
  filters: number[],
  preprocess: PreprocessMode,
  parameters: FilterPatternParameters,
  hooks: FilterAscentHooks = {},
): Promise<FilterPattern[]> {
  // A convolution without its own activation back-propagates through kernels WASM lacks.
  const objective = new FilterObjective(patternPath(model, { index: plan.layerIndex, name: plan.layerName }, plan.modelPath), filters, plan.filterCount, preprocess);
  const randoms = filters.map((filter) => randomForFilter(parameters.seed, filter));
  const clear = parameters.preset === 'clear' ? parameters.clear : undefined;
  const totalSteps = plan.stepsPerFilter;
  // Both presets start from the same noise at the final size; `clear` shrinks it for its first octave.
  let image = startingNoise(randoms, parameters.size, plan.inputChannels);
  let alive: tf.Tensor | undefined;
  try {
    const lossStart = await objective.meanActivations(image);
    let dead: boolean[] = [];
    let step = 0;
    for (const size of plan.octaveSizes) {
      if (size !== image.shape[1]) image = replace(image, tf.image.resizeBilinear(image, [size, size], false, true));
      for (let octaveStep = 0; octaveStep < parameters.steps; octaveStep++) {
        step++;
        await hooks.beforeStep?.(step, totalSteps);
        const transforms = clear ? drawTransforms(randoms, size, clear) : undefined;
        const { gradient, rms } = tf.tidy(() => normalisedGradient(objective, image, transforms));
        try {
          if (!alive) {
            // Dead: the gradient is exactly zero at the start, so nothing near the start moves the filter.
            dead = Array.from(await rms.data(), (value) => value === 0);
            alive = tf.tensor4d(dead.map((isDead) => (isDead ? 0 : 1)), [filters.length, 1, 1, 1]);
          }
          const live = alive;
          image = replace(image, tf.tidy(() => ascend(image, gradient, live, parameters)));
        } finally {
          tf.dispose([gradient, rms]);
        }
      }
    }
    const lossEnd = await objective.meanActivations(image);
    const size = plan.octaveSizes[plan.octaveSizes.length - 1];
    const pixels = await image.data<'float32'>();
    const perImage = size * size * plan.inputChannels;
    return filters.map((filter, i) => ({
      filter,
      pixels: pixels.slice(i * perImage, (i + 1) * perImage),
      size,
      channels: plan.inputChannels,
      lossStart: lossStart[i],
      lossEnd: lossEnd[i],
      steps: step,
      dead: dead[i],
    }));
  } finally {
    tf.dispose([image, alive]);
    objective.dispose();
  }
}

/** A layers model, or a graph model (engine/graphModel) whose nodes are the layers. */
export type PatternModel = tf.LayersModel | GraphNetwork;

/** The model from its input to the layer whose filters are shown. */
interface PatternPath {
  apply(input: tf.Tensor): tf.Tensor;
  /** The layer's output shape for an input of `inputShape` (batch included). */
  computeOutputShape(inputShape: number[]): number[];
  /** The declared output shapes of the layers run on the way. */
  shapesOnTheWay(): (Shape | Shape[])[];
}

function patternPath(model: PatternModel, layer: { index: number; name: string }, modelPath: string): PatternPath {
  if (!(model instanceof tf.LayersModel)) return graphPatternPath(model, layer.name);
  const path = layerOutputPath(layerSites(model)[layer.index], modelPath);
  return { ...path, shapesOnTheWay: () => path.layers.map((onTheWay) => onTheWay.outputShape as Shape | Shape[]) };
}

/** Filters are a convolution's channels: of a convolution layer, or of a graph's convolution node and the bias, normalisation and activation nodes right after it. */
function checkHasFilters(model: PatternModel, layer: LayerInfo, modelPath: string): void {
  if (model instanceof tf.LayersModel) {
    if (CONVOLUTION_CLASSES.has(layer.className) && layer.hasSpatialOutput) return;
    throw new InputError(modelPath, `layer "${layer.name}" is a ${layer.className}; filter patterns need a convolution layer (${[...CONVOLUTION_CLASSES].join(', ')})`);
  }
  if (layer.hasSpatialOutput && convolutionOutputNodes(model).has(layer.name)) return;
  throw new InputError(
    modelPath,
    `node "${layer.name}" is a ${layer.className}; filter patterns need a convolution node (${[...CONVOLUTION_OPS].join(', ')}) or the bias, normalisation or activation right after one`,
  );
}

/** Float32 values of every 4-D activation on the way to the layer, per image of `size` pixels (an estimate from the declared shapes). */
function activationValuesPerImage(patternModel: PatternPath, inputShape: Shape, size: number): number {
  const [inputHeight, inputWidth] = inputShape;
  const scale = inputHeight && inputWidth ? (size / inputHeight) * (size / inputWidth) : 1;
  let total = 0;
  for (const shape of patternModel.shapesOnTheWay() as Shape[]) {
    if (shape.length !== 4) continue;
    const [, height, width, channels] = shape;
    total += height && width ? height * width * (channels ?? 1) * scale : size * size * (channels ?? 1);
  }
  return Math.max(1, total);
}

/** Scores image i of a batch by the mean activation of filter `filters[i]` (the notes' `K.mean(layer_output[:, :, :, f])`). */
class FilterObjective {
  /** [batch, 1, 1, channels]: one-hot on each image's filter. */
  private readonly mask: tf.Tensor4D;

  constructor(
    private readonly patternModel: Pick<PatternPath, 'apply'>,
    filters: number[],
    filterCount: number,
    private readonly preprocess: PreprocessMode,
  ) {
    this.mask = tf.tidy(() => tf.oneHot(tf.tensor1d(filters, 'int32'), filterCount).reshape([filters.length, 1, 1, filterCount]) as tf.Tensor4D);
  }

  /** [batch]: each image's filter's mean activation, in inference mode, with the model's preprocessing applied to the pixels. */
  scores(pixels: tf.Tensor4D): tf.Tensor1D {
    const output = this.patternModel.apply(preprocessTensor(pixels, this.preprocess)) as tf.Tensor4D;
    const [, height, width] = output.shape;
    return output.mul(this.mask).sum([1, 2, 3]).div(height * width);
  }

  async meanActivations(pixels: tf.Tensor4D): Promise<number[]> {
    const scores = tf.tidy(() => this.scores(pixels));
    try {
      return Array.from(await scores.data());
    } finally {
      scores.dispose();
    }
  }

  dispose(): void {
    this.mask.dispose();
  }
}

/** One row of 8 per image, as tf.image.transform takes them (each maps an output pixel to an input point). */
interface ImageTransforms {
  /** What the model sees, from the image. */
  toSeen: number[][];
  /** The inverse, to bring the gradient back onto the image. */
  toImage: number[][];
}

/**
 * Each image's gradient divided by its own RMS. With transforms, the gradient is taken on the
 * shifted, scaled and rotated image the model sees and mapped back by the inverse transform.
 */
function normalisedGradient(objective: FilterObjective, image: tf.Tensor4D, transforms: ImageTransforms | undefined): { gradient: tf.Tensor4D; rms: tf.Tensor } {
  const scoreGradient = (pixels: tf.Tensor4D) => tf.grad((x) => objective.scores(x as tf.Tensor4D).sum())(pixels) as tf.Tensor4D;
  let gradient: tf.Tensor4D;
  if (transforms) {
    const seen = transformEach(image, transforms.toSeen);
    gradient = transformEach(scoreGradient(seen), transforms.toImage);
  } else {
    gradient = scoreGradient(image);
  }
  const rms = gradient.square().mean([1, 2, 3], true).sqrt();
  return { gradient: gradient.div(rms.add(RMS_EPSILON)), rms: rms.reshape([-1]) };
}

/**
 * tf.image.transform, bilinear, one image at a time: in TF.js 4.22 the cpu backend's kernel returns
 * after the first image of a batch. 'wrap' makes a whole-pixel shift an exact roll (as DeepDream's
 * np.roll), undone exactly for the gradient; WASM's 'reflect' also disagrees with the cpu backend's.
 */
function transformEach(images: tf.Tensor4D, rows: number[][]): tf.Tensor4D {
  const transformed = tf.split(images, rows.length).map((image, i) => tf.image.transform(image as tf.Tensor4D, [rows[i]], 'bilinear', 'wrap'));
  return tf.concat(transformed);
}

/** `x += direction × step` for live images, the direction being the normalised gradient less the total-variation gradient (`clear`). */
function ascend(image: tf.Tensor4D, gradient: tf.Tensor4D, alive: tf.Tensor, parameters: FilterPatternParameters): tf.Tensor4D {
  const tvWeight = parameters.preset === 'clear' ? parameters.clear.tvWeight : 0;
  const direction = tvWeight > 0 ? gradient.sub(tf.grad((x) => totalVariation(x as tf.Tensor4D))(image).mul(tvWeight)) : gradient;
  return image.add(direction.mul(parameters.stepSize).mul(alive));
}

/** Squared total variation (β = 2), in pixel units: sum of squared differences of neighbouring pixels, halved. */
function totalVariation(pixels: tf.Tensor4D): tf.Scalar {
  const [, height, width] = pixels.shape;
  const down = pixels.slice([0, 1, 0, 0], [-1, height - 1, -1, -1]).sub(pixels.slice([0, 0, 0, 0], [-1, height - 1, -1, -1]));
  const right = pixels.slice([0, 0, 1, 0], [-1, -1, width - 1, -1]).sub(pixels.slice([0, 0, 0, 0], [-1, -1, width - 1, -1]));
  return down.square().sum().add(right.square().sum()).mul(0.5);
}

/** Gray noise per filter from its own stream: `random * 20 + 128` for every pixel and channel. */
function startingNoise(randoms: Random[], size: number, channels: number): tf.Tensor4D {
  const perImage = size * size * channels;
  const values = new Float32Array(randoms.length * perImage);
  randoms.forEach((random, i) => {
    for (let j = 0; j < perImage; j++) values[i * perImage + j] = random() * NOISE_SPREAD + NOISE_OFFSET;
  });
  return tf.tensor4d(values, [randoms.length, size, size, channels]);
}

/** A random shift (whole pixels), scale and rotation about the centre per image, drawn from each filter's stream. */
function drawTransforms(randoms: Random[], size: number, clear: ClearPresetParameters): ImageTransforms {
  const centre = (size - 1) / 2;
  const toSeen: number[][] = [];
  const toImage: number[][] = [];
  for (const random of randoms) {
    const shiftX = Math.round(randomBetween(random, -clear.jitter, clear.jitter));
    const shiftY = Math.round(randomBetween(random, -clear.jitter, clear.jitter));
    const scale = 1 + randomBetween(random, -clear.scaleJitter, clear.scaleJitter);
    const angle = (randomBetween(random, -clear.rotationDegrees, clear.rotationDegrees) * Math.PI) / 180;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // Seen pixel p shows image point M(p − centre − shift) + centre, M = rotation(−angle) / scale.
    const [a0, a1, b0, b1] = [cos / scale, sin / scale, -sin / scale, cos / scale];
    const fromX = centre + shiftX;
    const fromY = centre + shiftY;
    toSeen.push([a0, a1, centre - a0 * fromX - a1 * fromY, b0, b1, centre - b0 * fromX - b1 * fromY, 0, 0]);
    // Image point q comes from seen point A(q − centre) + centre + shift, A = scale · rotation(angle).
    const [c0, c1, d0, d1] = [scale * cos, -scale * sin, scale * sin, scale * cos];
    toImage.push([c0, c1, fromX - c0 * centre - c1 * centre, d0, d1, fromY - d0 * centre - d1 * centre, 0, 0]);
  }
  return { toSeen, toImage };
}

function replace(old: tf.Tensor4D, next: tf.Tensor4D): tf.Tensor4D {
  old.dispose();
  return next;
}
