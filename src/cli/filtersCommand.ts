import path from 'node:path';
import {
  BACKEND_PREFERENCES,
  FILTER_PATTERN_PRESETS,
  PREPROCESS_MODES,
  type BackendPreference,
  type ClearPresetParameters,
  type FilterPatternParameters,
  type FilterPatternPreset,
  type PreprocessMode,
} from '../shared/types';
import { encodeNpy } from '../render/npy';
import { runFilterPatternJob } from '../jobs/filterPatternJob';
import { UsageError, oneOf, positiveInteger, requirePositionals, startBackend, stringOption, type CliCommand, type CliValues } from './cliSupport';
import { OutputFolder, fileNameForLayer } from './outputFolder';
import { DEFAULT_FILTER_COUNT, DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_MODEL_LIMITS } from '../shared/defaults';

const defaults = DEFAULT_FILTER_PATTERN_PARAMETERS;

/** The `clear` preset's options: name on the command line, parameter, and the smallest value allowed. */
const CLEAR_OPTIONS: { option: string; key: keyof ClearPresetParameters; min: number; integer?: boolean; description: string }[] = [
  { option: 'octaves', key: 'octaves', min: 1, integer: true, description: 'resolutions, growing to --size' },
  { option: 'octave-scale', key: 'octaveScale', min: 1, description: 'size ratio between octaves' },
  { option: 'jitter', key: 'jitter', min: 0, description: 'largest random shift per step, pixels' },
  { option: 'scale-jitter', key: 'scaleJitter', min: 0, description: 'largest random relative scale change per step' },
  { option: 'rotate', key: 'rotationDegrees', min: 0, description: 'largest random rotation per step, degrees' },
  { option: 'tv', key: 'tvWeight', min: 0, description: 'weight of the total-variation penalty' },
];

export const filtersCommand: CliCommand = {
  name: 'filters',
  usage: `convscope filters <model.json> --layer NAME [--filters 0-63 | --filters 3,7] [--preprocess MODE]
                      [--size ${defaults.size}] [--steps ${defaults.steps}] [--step ${defaults.stepSize}] [--preset ${FILTER_PATTERN_PRESETS.join('|')}] [--seed S]
                      [--backend B] [--out DIR] [--raw]
  --layer NAME        the convolution layer whose filters are shown
  --filters LIST      filter indices and ranges, e.g. 0-7,12 (default: the first ${DEFAULT_FILTER_COUNT})
  --preprocess MODE   ${PREPROCESS_MODES.join(' | ')} (default: none if the model starts with Rescaling, else rescale)
  --size N            side of each pattern in pixels (default: ${defaults.size})
  --steps N           gradient-ascent steps, per octave for clear (default: ${defaults.steps})
  --step X            step size in pixel units (default: ${defaults.stepSize})
  --preset P          chollet: the study notes' algorithm; clear: jitter, octaves, smoothing (default: chollet)
  --seed S            seed of the starting noise and jitter (default: ${defaults.seed})
${CLEAR_OPTIONS.map(({ option, key, integer, description }) => `  ${`--${option} ${integer ? 'N' : 'X'}`.padEnd(20)}clear: ${description} (default: ${defaults.clear[key]})`).join('\n')}
  --backend B         ${BACKEND_PREFERENCES.join(' | ')} (default: auto)
  --out DIR           output folder (default: convscope-out)
  --raw               also write the final images (float32, pixel space) as one .npy file`,
  options: {
    layer: { type: 'string' },
    filters: { type: 'string' },
    preprocess: { type: 'string' },
    size: { type: 'string' },
    steps: { type: 'string' },
    step: { type: 'string' },
    preset: { type: 'string' },
    seed: { type: 'string' },
    ...Object.fromEntries(CLEAR_OPTIONS.map(({ option }) => [option, { type: 'string' as const }])),
    backend: { type: 'string' },
    out: { type: 'string' },
    raw: { type: 'boolean' },
  },
  async run(positionals, values) {
    const [modelPath] = requirePositionals('filters', positionals, ['model.json']);
    const layerName = stringOption(values, 'layer');
    if (!layerName) throw new UsageError('filters needs --layer NAME (see `convscope summary <model.json>` for the layer names)');
    const filtersOption = stringOption(values, 'filters');
    const filters = filtersOption === undefined ? undefined : parseFilterList(filtersOption);
    const preprocessOption = stringOption(values, 'preprocess');
    const preprocess = preprocessOption === undefined ? undefined : oneOf<PreprocessMode>(preprocessOption, PREPROCESS_MODES, 'preprocess', 'rescale');
    const parameters = parseParameters(values);
    const backendPreference = oneOf<BackendPreference>(stringOption(values, 'backend'), BACKEND_PREFERENCES, 'backend', 'auto');
    const outDir = path.resolve(stringOption(values, 'out') ?? 'convscope-out');

    await startBackend(backendPreference);
    let output: OutputFolder | undefined;
    let baseName = '';
    const filterFiles: object[] = [];
    const rawImages: Float32Array[] = [];
    const result = await runFilterPatternJob(
      { modelPath, layerName, filters, preprocess, parameters, limits: { model: DEFAULT_MODEL_LIMITS } },
      {
        checkCancelled: async () => {},
        // The folder is made only once the model has been read and the request checked against it.
        onStarted: async (_summary, plan) => {
          output = await OutputFolder.open(outDir);
          baseName = fileNameForLayer(plan.layerIndex, plan.layerName);
          process.stdout.write(`${plan.layerName}: ${plan.filters.length} filters, ${plan.stepsPerFilter} steps each, ${plan.batchSize} at a time\n`);
        },
        onFilter: async (image, pattern) => {
          if (!output) throw new Error('output folder not open');
          const { png: pngBytes, layerIndex: _layerIndex, layerName: _layerName, ...description } = image;
          const png = await output.write(`${baseName}-filter-${String(image.filter).padStart(3, '0')}.png`, pngBytes);
          filterFiles.push({ ...description, png });
          if (values.raw) rawImages.push(pattern.pixels);
          const growth = image.dead ? 'dead (zero gradient at the start)' : `mean activation ${formatLoss(image.lossStart)} → ${formatLoss(image.lossEnd)}`;
          process.stdout.write(`filter ${String(image.filter).padStart(4)}  ${growth}  → ${png}\n`);
        },
      },
    );
    const grid = await output!.write(`${baseName}-filters.png`, result.grid.png);
    const size = parameters.size;
    const raw = values.raw
      ? await output!.write(`${baseName}-filters.npy`, encodeNpy(concatenate(rawImages), [rawImages.length, size, size, result.info.inputChannels]))
      : undefined;
    await output!.writeResult({ ...result.info, grid: { png: grid, ...result.grid.layout }, raw, filters: filterFiles });
    const t = result.info.timings;
    process.stdout.write(
      `${result.info.backend} backend · model ${t.loadModelMs.toFixed(0)} ms · optimise ${t.optimizeMs.toFixed(0)} ms · render ${t.renderMs.toFixed(0)} ms\nWrote ${grid} and ${filterFiles.length} filter patterns to ${outDir}\n`,
    );
  },
};

/** Far above any layer's filter count; bounds the list a range expands to. */
const MAX_FILTER_INDEX = 65535;

/** `0-7,12` → [0, 1, …, 7, 12]: indices and inclusive ranges, in the order given, each once. */
function parseFilterList(text: string): number[] {
  const filters: number[] = [];
  for (const part of text.split(',').map((item) => item.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new UsageError(`--filters takes indices and ranges such as 0-63 or 3,7 (got "${text}")`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new UsageError(`--filters range ${part} runs backwards`);
    if (last > MAX_FILTER_INDEX) throw new UsageError(`--filters indices go up to ${MAX_FILTER_INDEX} (got ${last})`);
    for (let filter = first; filter <= last; filter++) filters.push(filter);
  }
  if (new Set(filters).size !== filters.length) throw new UsageError(`--filters names a filter twice (got "${text}")`);
  return filters;
}

function parseParameters(values: CliValues): FilterPatternParameters {
  const preset = oneOf<FilterPatternPreset>(stringOption(values, 'preset'), FILTER_PATTERN_PRESETS, 'preset', defaults.preset);
  const clear = { ...defaults.clear };
  for (const { option, key, min, integer } of CLEAR_OPTIONS) {
    const value = stringOption(values, option);
    if (value === undefined) continue;
    if (preset !== 'clear') throw new UsageError(`--${option} applies to --preset clear only`);
    clear[key] = parseNumberOption(value, option, { min, integer });
  }
  const stepOption = stringOption(values, 'step');
  const seedOption = stringOption(values, 'seed');
  return {
    preset,
    size: positiveInteger(stringOption(values, 'size'), 'size', defaults.size),
    steps: positiveInteger(stringOption(values, 'steps'), 'steps', defaults.steps),
    stepSize: stepOption === undefined ? defaults.stepSize : parseNumberOption(stepOption, 'step', { min: 0, aboveMin: true }),
    // The seed initialises a 32-bit generator.
    seed: seedOption === undefined ? defaults.seed : parseNumberOption(seedOption, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true }),
    clear,
  };
}

interface NumberRule {
  min: number;
  /** True when `min` itself is not allowed. */
  aboveMin?: boolean;
  max?: number;
  integer?: boolean;
}

function parseNumberOption(text: string, option: string, rule: NumberRule): number {
  const value = Number(text);
  const { min, max = Infinity, aboveMin = false, integer = false } = rule;
  const valid = text.trim() !== '' && Number.isFinite(value) && (aboveMin ? value > min : value >= min) && value <= max && (!integer || Number.isInteger(value));
  if (!valid) {
    const range = max < Infinity ? `from ${min} to ${max}` : aboveMin ? `above ${min}` : `of at least ${min}`;
    throw new UsageError(`--${option} must be a ${integer ? 'whole number' : 'number'} ${range} (got "${text}")`);
  }
  return value;
}

function formatLoss(value: number): string {
  return Math.abs(value) >= 1e-3 || value === 0 ? value.toPrecision(4) : value.toExponential(2);
}

function concatenate(arrays: Float32Array[]): Float32Array {
  const all = new Float32Array(arrays.reduce((sum, array) => sum + array.length, 0));
  let offset = 0;
  for (const array of arrays) {
    all.set(array, offset);
    offset += array.length;
  }
  return all;
}
