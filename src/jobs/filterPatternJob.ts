// The filter-pattern job, shared by the worker and the CLI: load the model, optimise the requested
// filters of one convolution layer in batches, and hand out each filter's tile as its batch finishes.
import { currentBackend } from '../engine/tfjs/backend';
import { filterBatches, optimizeFilterPatterns, planFilterPatterns, type FilterPattern, type PatternModel } from '../engine/analyses/filterPatterns';
import { findFilterExamples } from '../engine/analyses/filterPatternExamples';
import type { FilterExampleCrop, FilterGridLayout, FilterPatternImage, FilterPatternPlan, ModelSummary, PreprocessMode } from '../shared/types';
import type { FilterPatternJobRequest, FilterPatternJobResult } from '../shared/engineProtocol';
import { constantImageTile, deprocessImage } from '../render/deprocessImage';
import { filterGridLayout } from '../shared/filterGridLayout';
import { renderFilterGrid } from '../render/filterGrid';
import { encodePng } from '../render/png';
import { assertFiniteOutput } from '../engine/analyses/nonFinite';
import { freeStrandedGradientTensors } from '../engine/tfjs/strandedGradientTensors';
import { loadModelCached } from './modelCache';
import { asModelRunFailure } from './modelRunFailure';
import { checkOutputSizesForInput } from '../engine/models/outputSizes';
import { InputError } from '../shared/errors';
import { MAX_OUTPUT_ELEMENTS_PER_IMAGE } from '../shared/defaults';

export interface FilterPatternJobHooks {
  onStarted?(summary: ModelSummary, plan: FilterPatternPlan, grid: FilterGridLayout, preprocess: PreprocessMode): void | Promise<void>;
  /** One finished filter: its tile as PNG, and its raw pattern (pixel space) for export. */
  onFilter(image: FilterPatternImage, pattern: FilterPattern): void | Promise<void>;
  /** `done` of `total` optimisation steps over all batches. */
  onProgress?(done: number, total: number, message: string): void;
  /** Called before each file is read: a job that never ends is reported with the file it was reading. */
  onReading?(file: string): void;
  /** Called before every optimisation step; throws JobCancelledError to stop the job there. */
  checkCancelled(): Promise<void>;
}

const now = () => performance.now();

export async function runFilterPatternJob(request: FilterPatternJobRequest, hooks: FilterPatternJobHooks): Promise<FilterPatternJobResult> {
  let started = now();
  hooks.onReading?.(request.modelPath);
  const { patternModel: model, summary } = await loadModelCached(request.modelPath, request.limits.model);
  const loadModelMs = now() - started;
  // The patterns are images of `size` pixels a side: the layers on the way are bounded for that size.
  const channels = summary.inputShape[2];
  const size = request.parameters.size;
  if (channels === 1 || channels === 3) {
    if (size * size * channels > MAX_OUTPUT_ELEMENTS_PER_IMAGE) throw new InputError(request.modelPath, `cannot be shown filter patterns of ${size}×${size} pixels: the image alone would pass the limit of ${MAX_OUTPUT_ELEMENTS_PER_IMAGE} values`);
    checkOutputSizesForInput(model, request.modelPath, [size, size, channels], request.layerName);
  }
  const plan = planFilterPatterns(model, summary, request);
  const preprocess = request.preprocess ?? summary.defaultPreprocess;
  const layout = filterGridLayout(plan.filters.length, size);
  await hooks.onStarted?.(summary, plan, layout, preprocess);
  // The example images take one forward pass each, far less than one batch's ascent: read first,
  // so every tile arrives with its crops.
  const examples = request.examples ? await exampleCrops(model, summary, plan, preprocess, request.examples, hooks) : undefined;

  const batches = filterBatches(plan.filters, plan.batchSize);
  const totalSteps = batches.length * plan.stepsPerFilter;
  const tiles: Uint8Array[] = [];
  let optimizeMs = 0;
  let renderMs = 0;
  for (const [batchIndex, batch] of batches.entries()) {
    started = now();
    const patterns = await optimizeFilterPatterns(model, plan, batch, preprocess, request.parameters, {
      beforeStep: async (step, steps) => {
        await hooks.checkCancelled();
        hooks.onProgress?.(batchIndex * steps + step - 1, totalSteps, `step ${step}/${steps} · ${tiles.length}/${plan.filters.length} filters done`);
      },
    }).catch((error: unknown) => {
      freeStrandedGradientTensors();
      throw asModelRunFailure(request.modelPath, error);
    });
    optimizeMs += now() - started;

    started = now();
    for (const pattern of patterns) {
      assertFiniteOutput([pattern.lossEnd], request.modelPath, `as the activation of filter ${pattern.filter} of "${plan.layerName}"`);
      assertFiniteOutput(pattern.pixels, request.modelPath, `in the gradient ascent of filter ${pattern.filter} of "${plan.layerName}"`);
      const tile = pattern.dead ? constantImageTile(pattern.pixels.length) : deprocessImage(pattern.pixels);
      const png = await encodePng(tile, size, size, plan.inputChannels);
      const { pixels: _pixels, channels: _channels, ...measures } = pattern;
      const crops = examples?.get(pattern.filter);
      await hooks.onFilter({ layerIndex: plan.layerIndex, layerName: plan.layerName, tile: tiles.length, png, ...measures, ...(crops ? { examples: crops } : {}) }, pattern);
      tiles.push(tile);
    }
    renderMs += now() - started;
    hooks.onProgress?.((batchIndex + 1) * plan.stepsPerFilter, totalSteps, `${tiles.length}/${plan.filters.length} filters done`);
  }

  started = now();
  const grid = renderFilterGrid(tiles, size, plan.inputChannels);
  const gridPng = await encodePng(grid.rgb, layout.width, layout.height);
  renderMs += now() - started;

  return {
    summary,
    grid: { layout, png: gridPng },
    info: {
      backend: currentBackend(),
      modelPath: request.modelPath,
      layerIndex: plan.layerIndex,
      layerName: plan.layerName,
      preprocess,
      parameters: request.parameters,
      filters: plan.filters,
      batchSize: plan.batchSize,
      inputChannels: plan.inputChannels,
      timings: { loadModelMs, optimizeMs, renderMs },
    },
  };
}

/** Per filter, the crops of the example images where it fires most, as PNGs; unreadable images are skipped. */
async function exampleCrops(
  model: PatternModel,
  summary: ModelSummary,
  plan: FilterPatternPlan,
  preprocess: PreprocessMode,
  { images, top }: { images: string[]; top: number },
  hooks: FilterPatternJobHooks,
): Promise<Map<number, FilterExampleCrop[]>> {
  const { results } = await findFilterExamples(model, summary, { layerName: plan.layerName, filters: plan.filters, top, preprocess }, images, {
    checkCancelled: () => hooks.checkCancelled(),
    onImage: (done, total) => hooks.onProgress?.(0, 1, `reading example images ${done}/${total}`),
  });
  const crops = new Map<number, FilterExampleCrop[]>();
  for (const { filter, examples } of results) {
    crops.set(
      filter,
      await Promise.all(examples.map(async ({ image, activation, crop, pixels, channels }) => ({ image, activation, crop, png: await encodePng(pixels, crop.width, crop.height, channels) }))),
    );
  }
  return crops;
}
