// "What excites this filter in your images" (Lucid's dataset examples): for each filter of a
// layer, the image crops where it fires most over a set of real images, each crop the receptive
// field around the filter's largest activation in that image. Images are read one at a time, so
// a panel or the CLI can show the top crops as they change; only the crops kept are held.
import * as tf from '@tensorflow/tfjs';
import { oneHotRows } from '../tfjs/oneHotRows';
import { readImageForModel } from '../input/imageInput';
import { preprocessTensor } from '../input/preprocessTensor';
import { InputError } from '../../shared/errors';
import { DEFAULT_FILTER_EXAMPLE_COUNT, DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_FREE_INPUT_SIDE, DEFAULT_IMAGE_LIMITS } from '../../shared/defaults';
import type { ImageReadOptions, ModelSummary, PreprocessMode } from '../../shared/types';
import { patternPath, type PatternModel, type PatternPath } from './filterPatternObjective';
import { planFilterPatterns } from './filterPatterns';

export interface FilterExampleRequest {
  layerName: string;
  /** Filter indices; omitted: the first 64 (or all, when fewer), as the grid shows. */
  filters?: number[];
  /** Crops kept per filter (default DEFAULT_FILTER_EXAMPLE_COUNT). */
  top?: number;
  /** Omitted: the model's own (summary.defaultPreprocess). */
  preprocess?: PreprocessMode;
  /** The side a model of free input size reads images at (default DEFAULT_FREE_INPUT_SIDE). */
  freeSide?: number;
  imageOptions?: ImageReadOptions;
}

/** Input pixels that influence one output position, per output row and per output column (inclusive bounds, clipped to the input). */
export interface ReceptiveFields {
  inputHeight: number;
  inputWidth: number;
  /** [first, last] input row for each output row. */
  rows: [number, number][];
  /** [first, last] input column for each output column. */
  columns: [number, number][];
}

export interface FilterImageExample {
  image: string;
  /** The filter's largest activation in the image. */
  activation: number;
  /** Where it is, in the layer's output. */
  position: { row: number; column: number };
  /** The receptive field around it, in the pixels the model read (the image resized to its input). */
  crop: { x: number; y: number; width: number; height: number };
  /** crop.height × crop.width × channels, 0–255, channels last. */
  pixels: Uint8Array;
  channels: 1 | 3;
}

export interface FilterExamples {
  filter: number;
  /** Best first; only images where the filter's largest activation is above 0 (empty: it fires on none). */
  examples: FilterImageExample[];
}

export interface FilterExampleHooks {
  /** After each image: `done` of `total` read, the filters whose crops changed, and the current results. */
  onImage?(done: number, total: number, image: string, changedFilters: number[], results: FilterExamples[]): void | Promise<void>;
  /** Called before each image; what it throws (JobCancelledError) stops the search, its tensors freed. */
  checkCancelled?(): void | Promise<void>;
}

/** Seed of the probe image that measures receptive fields (any input with most units active will do). */
const PROBE_SEED = 7;

/**
 * Reads images one at a time and keeps, per filter, the `top` crops that excite it most. Holds one
 * small tensor (the filters' one-hot columns); dispose() frees it.
 */
export class FilterExampleSearch {
  private readonly best: Map<number, FilterImageExample[]>;
  private readonly filterColumns: tf.Tensor2D;

  private constructor(
    private readonly layerPath: PatternPath,
    readonly filters: number[],
    readonly receptiveFields: ReceptiveFields,
    private readonly channels: 1 | 3,
    private readonly preprocess: PreprocessMode,
    private readonly top: number,
    private readonly imageOptions: ImageReadOptions,
    filterCount: number,
  ) {
    this.best = new Map(filters.map((filter) => [filter, []]));
    this.filterColumns = tf.tidy(() => oneHotRows(filters, filterCount).transpose<tf.Tensor2D>());
  }

  /** Checks the layer and filters as the filter grid does (every problem an InputError on the model file) and measures the receptive fields. */
  static open(model: PatternModel, summary: ModelSummary, request: FilterExampleRequest): FilterExampleSearch {
    const [height, width, channels] = summary.inputShape;
    const freeSide = request.freeSide ?? DEFAULT_FREE_INPUT_SIDE;
    const inputHeight = height ?? freeSide;
    const inputWidth = width ?? freeSide;
    const plan = planFilterPatterns(model, summary, {
      layerName: request.layerName,
      filters: request.filters,
      parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: 'chollet', size: Math.min(inputHeight, inputWidth) },
    });
    const top = request.top ?? DEFAULT_FILTER_EXAMPLE_COUNT;
    if (!Number.isInteger(top) || top < 1) throw new InputError(summary.modelPath, `cannot keep ${top} examples per filter; ask for a whole number from 1 up`);
    const preprocess = request.preprocess ?? summary.defaultPreprocess;
    const layerPath = patternPath(model, { index: plan.layerIndex, name: plan.layerName }, summary.modelPath);
    const fields = measureReceptiveFields(layerPath, inputHeight, inputWidth, channels as number, preprocess);
    return new FilterExampleSearch(layerPath, plan.filters, fields, plan.inputChannels, preprocess, top, request.imageOptions ?? DEFAULT_IMAGE_LIMITS, plan.filterCount);
  }

  /** Reads one image (an InputError when it cannot be read) and returns the filters whose kept crops changed. */
  async addImage(imagePath: string): Promise<number[]> {
    const { inputHeight, inputWidth } = this.receptiveFields;
    const read = await readImageForModel(imagePath, { height: inputHeight, width: inputWidth, channels: this.channels }, this.imageOptions);
    const { maxima, positions, outputWidth } = tf.tidy(() => {
      const input = tf.tensor4d(read.pixels, [1, inputHeight, inputWidth, this.channels], 'float32');
      const output = this.layerPath.apply(preprocessTensor(input, this.preprocess)) as tf.Tensor4D;
      const [, outputHeight, width, filterCount] = output.shape;
      // [positions, filters]: only the requested filters' columns.
      const chosen = output.reshape([outputHeight * width, filterCount]).matMul(this.filterColumns);
      return { maxima: chosen.max(0), positions: chosen.argMax(0), outputWidth: width };
    });
    const [values, indices] = await Promise.all([maxima.data(), positions.data()]).finally(() => tf.dispose([maxima, positions]));
    const changed: number[] = [];
    this.filters.forEach((filter, i) => {
      const activation = values[i];
      const kept = this.best.get(filter)!;
      if (!(activation > 0) || (kept.length >= this.top && activation <= kept[kept.length - 1].activation)) return;
      const row = Math.floor(indices[i] / outputWidth);
      const column = indices[i] % outputWidth;
      kept.push(this.example(imagePath, read.pixels, activation, row, column));
      kept.sort((a, b) => b.activation - a.activation);
      if (kept.length > this.top) kept.pop();
      changed.push(filter);
    });
    return changed;
  }

  /** The crops kept so far, per filter in request order. */
  results(): FilterExamples[] {
    return this.filters.map((filter) => ({ filter, examples: [...this.best.get(filter)!] }));
  }

  dispose(): void {
    this.filterColumns.dispose();
  }

  private example(image: string, pixels: Uint8Array, activation: number, row: number, column: number): FilterImageExample {
    const { inputWidth, rows, columns } = this.receptiveFields;
    const [top, bottom] = rows[Math.min(row, rows.length - 1)];
    const [left, right] = columns[Math.min(column, columns.length - 1)];
    const width = right - left + 1;
    const height = bottom - top + 1;
    const channels = this.channels;
    const crop = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) {
      const from = ((top + y) * inputWidth + left) * channels;
      crop.set(pixels.subarray(from, from + width * channels), y * width * channels);
    }
    return { image, activation, position: { row, column }, crop: { x: left, y: top, width, height }, pixels: crop, channels };
  }
}

/** Runs a FilterExampleSearch over `imagePaths`; images that cannot be read are skipped and listed. */
export async function findFilterExamples(
  model: PatternModel,
  summary: ModelSummary,
  request: FilterExampleRequest,
  imagePaths: string[],
  hooks: FilterExampleHooks = {},
): Promise<{ results: FilterExamples[]; receptiveFields: ReceptiveFields; skipped: { image: string; problem: string }[] }> {
  const search = FilterExampleSearch.open(model, summary, request);
  const skipped: { image: string; problem: string }[] = [];
  try {
    for (const [index, image] of imagePaths.entries()) {
      await hooks.checkCancelled?.();
      let changed: number[] = [];
      try {
        changed = await search.addImage(image);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        skipped.push({ image, problem: error.problem });
      }
      await hooks.onImage?.(index + 1, imagePaths.length, image, changed, search.results());
    }
    return { results: search.results(), receptiveFields: search.receptiveFields, skipped };
  } finally {
    search.dispose();
  }
}

/** Probes measured together (each a copy of the probe image through the model). */
const PROBES_PER_BATCH = 8;
/** Outputs up to this many rows (columns) have each row (column) measured; larger ones a few, the rest extrapolated. */
const MEASURE_ALL_UP_TO = 16;

/**
 * Which input pixels reach each output row and each output column, measured rather than derived
 * from layer configs (so branches, padding and graph models need no special case): on one noise
 * image, the gradient of the sum of an output row (all its columns and channels) marks the input
 * rows it depends on, and likewise for columns. Large outputs have a few rows and columns measured
 * (the first two, the middle three, the last two); the others are the middle ones shifted by the
 * stride between them, clipped to the input.
 */
export function measureReceptiveFields(layerPath: Pick<PatternPath, 'apply' | 'computeOutputShape'>, inputHeight: number, inputWidth: number, channels: number, preprocess: PreprocessMode): ReceptiveFields {
  const [, outputHeight, outputWidth] = layerPath.computeOutputShape([1, inputHeight, inputWidth, channels]);
  const measuredRows = indicesToMeasure(outputHeight);
  const measuredColumns = indicesToMeasure(outputWidth);
  const probes = [...measuredRows.map((index) => ({ alongRows: true, index })), ...measuredColumns.map((index) => ({ alongRows: false, index }))];
  const extents = new Map<string, [number, number] | undefined>();
  const noise = tf.randomUniform([1, inputHeight, inputWidth, channels], 0, 255, 'float32', PROBE_SEED);
  try {
    for (let start = 0; start < probes.length; start += PROBES_PER_BATCH) {
      const batch = probes.slice(start, start + PROBES_PER_BATCH);
      const selection = new Float32Array(batch.length * outputHeight * outputWidth);
      batch.forEach(({ alongRows, index }, probe) => {
        for (let i = 0; i < (alongRows ? outputWidth : outputHeight); i++) {
          selection[probe * outputHeight * outputWidth + (alongRows ? index * outputWidth + i : i * outputWidth + index)] = 1;
        }
      });
      const influence = tf.tidy(() => {
        const images = tf.concat(batch.map(() => noise)) as tf.Tensor4D;
        const selected = tf.tensor4d(selection, [batch.length, outputHeight, outputWidth, 1]);
        const gradient = tf.grad((x) => (layerPath.apply(preprocessTensor(x as tf.Tensor4D, preprocess)) as tf.Tensor4D).mul(selected).sum())(images);
        // Per probe, whether each input row and each input column moved its output at all.
        const moved = gradient.abs().sum(3);
        return { rows: moved.sum(2).greater(0), columns: moved.sum(1).greater(0) };
      });
      const [rows, columns] = [influence.rows.dataSync(), influence.columns.dataSync()];
      tf.dispose([influence.rows, influence.columns]);
      batch.forEach(({ alongRows, index }, probe) => {
        const flags = alongRows ? rows.subarray(probe * inputHeight, (probe + 1) * inputHeight) : columns.subarray(probe * inputWidth, (probe + 1) * inputWidth);
        const first = flags.indexOf(1);
        extents.set(`${alongRows ? 'row' : 'column'} ${index}`, first < 0 ? undefined : [first, flags.lastIndexOf(1)]);
      });
    }
  } finally {
    noise.dispose();
  }
  return {
    inputHeight,
    inputWidth,
    rows: fillExtents(outputHeight, inputHeight, (index) => extents.get(`row ${index}`)),
    columns: fillExtents(outputWidth, inputWidth, (index) => extents.get(`column ${index}`)),
  };
}

function indicesToMeasure(outputs: number): number[] {
  if (outputs <= MEASURE_ALL_UP_TO) return Array.from({ length: outputs }, (_, i) => i);
  const middle = Math.floor(outputs / 2);
  return [0, 1, middle - 1, middle, middle + 1, outputs - 2, outputs - 1];
}

/**
 * Every output index's input extent: measured where it was, else the middle one's shifted by the
 * stride (outputs − 1 apart cover the input, else the middle neighbours' distance), clipped; an
 * index whose probe found no gradient at all (every path dead on the noise) gets its proportional share.
 */
function fillExtents(outputs: number, inputs: number, measured: (index: number) => [number, number] | undefined): [number, number][] {
  const middle = Math.floor(outputs / 2);
  const centre = measured(middle);
  const next = measured(Math.min(outputs - 1, middle + 1));
  const stride = centre && next && middle + 1 < outputs ? next[1] - centre[1] || next[0] - centre[0] || inputs / outputs : inputs / outputs;
  return Array.from({ length: outputs }, (_, index) => {
    const known = measured(index);
    if (known) return known;
    if (centre) {
      const shift = Math.round((index - middle) * stride);
      return [Math.max(0, centre[0] + shift), Math.min(inputs - 1, centre[1] + shift)] as [number, number];
    }
    const first = Math.floor((index * inputs) / outputs);
    return [first, Math.max(first, Math.ceil(((index + 1) * inputs) / outputs) - 1)] as [number, number];
  });
}
