// What each convolution filter responds to, by gradient ascent in input space, for many filters of
// one layer at once.
//
// `lucid` (the default; filterPatternLucid.ts) is feature visualisation as Lucid and Lucent do it:
// a Fourier-space, colour-decorrelated image kept in the model's valid input range, Adam, random
// jitter, scale and rotation, and redirected ReLU gradients for filters silent at the start.
// `chollet` is the study notes' `generate_pattern`, exactly: start from gray noise in pixel space,
// and 40 times add the gradient of the filter's mean activation, divided by its RMS. `clear` adds
// random jitter, scale and rotation at each step, an implicit total-variation smoothing step and
// octaves of growing resolution. All are deterministic for a seed.
//
// Every pattern is then judged (filterPatternVerdict.ts): whether the ascent raised its filter's
// mean activation, and how it compares with real images (the images beside the model by default).
//
// Batching: image i of a batch is scored by filter f_i only, and inference mode keeps the images of
// a batch independent, so the gradient of the summed scores with respect to image i is that of
// f_i's score alone; normalising it per image keeps each image on the path it would follow alone.
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { InputError } from '../../shared/errors';
import { CONVOLUTION_OPS, convolutionOutputNodes } from '../models/graph/graphConvolutions';
import { layerNamed } from '../models/modelSummary';
import { randomForFilter, type Random } from '../seededRandom';
import type {
  FilterPatternParameters,
  FilterPatternPlan,
  FilterPatternVerdict,
  LayerInfo,
  ModelSummary,
  PreprocessMode,
  RealImageComparison,
  Shape,
} from '../../shared/types';
import { DEFAULT_FILTER_COUNT, DEFAULT_REAL_IMAGE_COUNT } from '../../shared/defaults';
import { FilterObjective, patternPath, type PatternModel, type PatternPath } from './filterPatternObjective';
import { drawTransforms, transformDifferentiably, type ImageTransforms } from './filterPatternTransforms';
import { ImplicitSmoothing } from './filterPatternSmoothing';
import { ascendLucid, LUCID_LEARNING_RATE } from './filterPatternLucid';
import { filterPatternParameterProblems, lucidParameters } from './filterPatternParameters';
import { compareWithRealImages, imageFilesIn, judgePattern, measureRealImages, type RealImageActivations } from './filterPatternVerdict';

export type { PatternModel } from './filterPatternObjective';

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

/** One filter's result: the final image in pixel space (not clipped; `lucid`'s are within 0–255), how its activation grew, and the verdict. */
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
  verdict: FilterPatternVerdict;
  verdictText: string;
  realImages?: RealImageComparison;
}

export interface FilterAscentHooks {
  /** Awaited before each step (1-based, of `totalSteps`); what it throws stops the ascent, its tensors freed. */
  beforeStep?(step: number, totalSteps: number): void | Promise<void>;
}

/** Checks the request against the model and chooses the batch size; every problem is an InputError on the model file. */
export function planFilterPatterns(model: PatternModel, summary: ModelSummary, request: FilterPatternRequest): FilterPatternPlan {
  const modelPath = summary.modelPath;
  const problems = filterPatternParameterProblems(request.parameters);
  if (problems.length > 0) throw new InputError(modelPath, `cannot be shown with these filter-pattern settings: ${problems.map(({ problem }) => problem).join('; ')}`);
  const layer = layerNamed(summary, request.layerName);
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
  const plan: FilterPatternPlan = {
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
  planContexts.set(plan, { inputShape: summary.inputShape });
  return plan;
}

/** `chollet`, `lucid`: one resolution. `clear`: `octaves` resolutions growing by `octaveScale`, ending at `size`. */
function octaveSizesFor(parameters: FilterPatternParameters): number[] {
  if (parameters.preset !== 'clear') return [parameters.size];
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
 * Optimises one batch: image i maximises filter `filters[i]`; then judges each pattern against
 * real images (read once per plan). Every tensor made here is disposed before it returns or throws.
 */
export async function optimizeFilterPatterns(
  model: PatternModel,
  plan: FilterPatternPlan,
  filters: number[],
  preprocess: PreprocessMode,
  parameters: FilterPatternParameters,
  hooks: FilterAscentHooks = {},
): Promise<FilterPattern[]> {
  const layerPath = patternPath(model, { index: plan.layerIndex, name: plan.layerName }, plan.modelPath);
  // A convolution without its own activation back-propagates through kernels WASM lacks.
  const objectiveFor = (images: number[]) => new FilterObjective(layerPath, images.map((i) => filters[i]), plan.filterCount, preprocess);
  const randoms = filters.map((filter) => randomForFilter(parameters.seed, filter));
  let ascent: PixelAscent;
  if (parameters.preset === 'lucid') {
    ascent = await ascendLucidBatch(objectiveFor, randoms, plan, parameters, hooks);
  } else {
    const objective = new FilterObjective(layerPath, filters, plan.filterCount, preprocess);
    try {
      ascent = await ascendInPixelSpace(objective, randoms, plan, parameters, hooks);
    } finally {
      objective.dispose();
    }
  }
  const reference = await realImageReference(layerPath, plan, preprocess, parameters);
  const perImage = ascent.size * ascent.size * plan.inputChannels;
  return filters.map((filter, i) => {
    const realImages = compareWithRealImages(reference, filter, ascent.lossEnd[i]);
    const judgement = judgePattern(ascent.lossStart[i], ascent.lossEnd[i], ascent.dead[i], realImages);
    return {
      filter,
      pixels: ascent.pixels.slice(i * perImage, (i + 1) * perImage),
      size: ascent.size,
      channels: plan.inputChannels,
      lossStart: ascent.lossStart[i],
      lossEnd: ascent.lossEnd[i],
      steps: ascent.steps,
      dead: ascent.dead[i],
      ...judgement,
      ...(realImages ? { realImages } : {}),
    };
  });
}

/** A batch's final images (pixel space, image after image) and objectives. */
interface PixelAscent {
  pixels: Float32Array;
  size: number;
  steps: number;
  lossStart: number[];
  lossEnd: number[];
  dead: boolean[];
}

/** `lucid`: see filterPatternLucid.ts. */
async function ascendLucidBatch(
  objectiveFor: (images: number[]) => FilterObjective,
  randoms: Random[],
  plan: FilterPatternPlan,
  parameters: FilterPatternParameters,
  hooks: FilterAscentHooks,
): Promise<PixelAscent> {
  const learningRate = LUCID_LEARNING_RATE * parameters.stepSize;
  const beforeStep = async (step: number) => hooks.beforeStep?.(step, plan.stepsPerFilter);
  const result = await ascendLucid(objectiveFor, randoms, parameters.size, plan.inputChannels, parameters.steps, learningRate, lucidParameters(parameters), beforeStep);
  try {
    const pixels = await result.pixels.data<'float32'>();
    return { pixels, size: parameters.size, steps: parameters.steps, lossStart: result.lossStart, lossEnd: result.lossEnd, dead: result.dead };
  } finally {
    result.pixels.dispose();
  }
}

/** `chollet` and `clear`: the notes' ascent on pixels, with `clear`'s transformations, smoothing and octaves. */
async function ascendInPixelSpace(objective: FilterObjective, randoms: Random[], plan: FilterPatternPlan, parameters: FilterPatternParameters, hooks: FilterAscentHooks): Promise<PixelAscent> {
  const clear = parameters.preset === 'clear' ? parameters.clear : undefined;
  const totalSteps = plan.stepsPerFilter;
  // Both presets start from the same noise at the final size; `clear` shrinks it for its first octave.
  let image = startingNoise(randoms, parameters.size, plan.inputChannels);
  let alive: tf.Tensor | undefined;
  let smoothing: ImplicitSmoothing | undefined;
  try {
    const lossStart = await objective.meanActivations(image);
    let dead: boolean[] = [];
    let step = 0;
    for (const size of plan.octaveSizes) {
      if (size !== image.shape[1]) image = replace(image, tf.image.resizeBilinear(image, [size, size], false, true));
      if (clear && clear.tvWeight > 0) {
        smoothing?.dispose();
        smoothing = new ImplicitSmoothing(size);
      }
      for (let octaveStep = 0; octaveStep < parameters.steps; octaveStep++) {
        step++;
        await hooks.beforeStep?.(step, totalSteps);
        const transforms = clear ? drawTransforms(randoms, size, clear) : undefined;
        const { gradient, rms } = tf.tidy(() => normalisedGradient(objective, image, transforms));
        try {
          if (!alive) {
            // Dead: the gradient is exactly zero at the start, so nothing near the start moves the filter.
            dead = Array.from(await rms.data(), (value) => value === 0);
            alive = tf.tensor4d(dead.map((isDead) => (isDead ? 0 : 1)), [randoms.length, 1, 1, 1]);
          }
          const live = alive;
          const smoother = smoothing;
          image = replace(image, tf.tidy(() => ascend(image, gradient, live, parameters, smoother)));
        } finally {
          tf.dispose([gradient, rms]);
        }
      }
    }
    const lossEnd = await objective.meanActivations(image);
    const pixels = await image.data<'float32'>();
    return { pixels, size: plan.octaveSizes[plan.octaveSizes.length - 1], steps: step, lossStart, lossEnd, dead };
  } finally {
    tf.dispose([image, alive]);
    smoothing?.dispose();
  }
}

/** What planFilterPatterns learnt about the model that the verdicts need, kept with the plan the job passes to every batch. */
interface PlanContext {
  inputShape: Shape;
  /** The real images' activations, read by the first batch that needs them, per preprocessing and image list. */
  reference?: { key: string; activations: Promise<RealImageActivations | undefined> };
}
const planContexts = new WeakMap<FilterPatternPlan, PlanContext>();

/** The real images' best activation per filter, measured once per plan; undefined when there are none. */
async function realImageReference(layerPath: PatternPath, plan: FilterPatternPlan, preprocess: PreprocessMode, parameters: FilterPatternParameters): Promise<RealImageActivations | undefined> {
  const context = planContexts.get(plan);
  if (!context) return undefined;
  const key = JSON.stringify({ preprocess, images: parameters.realImages ?? null, size: parameters.size });
  if (context.reference?.key !== key) {
    const measure = async () => {
      const images = parameters.realImages ?? (await imageFilesIn(path.dirname(plan.modelPath), DEFAULT_REAL_IMAGE_COUNT));
      if (images.length === 0) return undefined;
      const [height, width] = context.inputShape;
      return measureRealImages(layerPath, plan.filterCount, preprocess, images, { height, width, channels: plan.inputChannels, freeSide: parameters.size });
    };
    context.reference = { key, activations: measure() };
  }
  return context.reference.activations;
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

/** Each image's gradient divided by its own RMS; with transforms, through the shifted, scaled and rotated image the model sees. */
function normalisedGradient(objective: FilterObjective, image: tf.Tensor4D, transforms: ImageTransforms | undefined): { gradient: tf.Tensor4D; rms: tf.Tensor } {
  const seen = (pixels: tf.Tensor4D) => (transforms ? transformDifferentiably(pixels, transforms) : pixels);
  const gradient = tf.grad((x) => objective.scores(seen(x as tf.Tensor4D)).sum())(image) as tf.Tensor4D;
  const rms = gradient.square().mean([1, 2, 3], true).sqrt();
  return { gradient: gradient.div(rms.add(RMS_EPSILON)), rms: rms.reshape([-1]) };
}

/**
 * `x += normalisedGradient × step` for live images; `clear` then smooths them by one implicit
 * total-variation step of strength step × tvWeight (filterPatternSmoothing.ts), stable at any step.
 */
function ascend(image: tf.Tensor4D, gradient: tf.Tensor4D, alive: tf.Tensor, parameters: FilterPatternParameters, smoothing: ImplicitSmoothing | undefined): tf.Tensor4D {
  const moved = image.add<tf.Tensor4D>(gradient.mul(parameters.stepSize).mul(alive));
  if (!smoothing) return moved;
  const smoothed = smoothing.smooth(moved, parameters.stepSize * parameters.clear.tvWeight);
  // Dead images stay as they started.
  return image.add(smoothed.sub(image).mul(alive));
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

function replace(old: tf.Tensor4D, next: tf.Tensor4D): tf.Tensor4D {
  old.dispose();
  return next;
}
