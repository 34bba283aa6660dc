import path from 'node:path';
import {
  BACKEND_PREFERENCES,
  FILTER_PATTERN_PRESETS,
  PREPROCESS_MODES,
  type BackendPreference,
  type ClearPresetParameters,
  type FilterPatternParameters,
  type FilterPatternPreset,
  type LucidPresetParameters,
  type PreprocessMode,
} from '../shared/types';
import { encodeNpy } from '../render/npy';
import { runFilterPatternJob } from '../jobs/filterPatternJob';
import { UsageError, oneOf, positiveInteger, requirePositionals, startBackend, stringOption, type CliCommand, type CliValues, writeOut, reportReading } from './cliSupport';
import { OutputFolder, fileNameForLayer } from './outputFolder';
import { DEFAULT_FILTER_COUNT, DEFAULT_FILTER_EXAMPLE_COUNT, DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_MODEL_LIMITS, FILTER_PATTERN_RANGES } from '../shared/defaults';
import { describeRange, filterPatternParameterProblems, isInRange, lucidParameters } from '../engine/analyses/filterPatternParameters';
import { imageFilesIn } from '../engine/analyses/filterPatternVerdict';
import { findFilterExamples, type FilterExamples } from '../engine/analyses/filterPatternExamples';
import { loadModelCached } from '../jobs/modelCache';
import { encodePng } from '../render/png';

const defaults = DEFAULT_FILTER_PATTERN_PARAMETERS;

/** Each preset's own options: name on the command line, the parameter it sets, and what it does. */
const CLEAR_OPTIONS: { option: string; key: keyof ClearPresetParameters; integer?: boolean; description: string }[] = [
  { option: 'octaves', key: 'octaves', integer: true, description: 'resolutions, growing to --size' },
  { option: 'octave-scale', key: 'octaveScale', description: 'size ratio between octaves' },
  { option: 'jitter', key: 'jitter', description: 'largest random shift per step, pixels' },
  { option: 'scale-jitter', key: 'scaleJitter', description: 'largest random relative scale change per step' },
  { option: 'rotate', key: 'rotationDegrees', description: 'largest random rotation per step, degrees' },
  { option: 'tv', key: 'tvWeight', description: 'weight of the total-variation smoothing' },
];
const LUCID_OPTIONS: { option: string; key: keyof LucidPresetParameters; integer?: boolean; description: string }[] = [
  { option: 'jitter', key: 'jitter', description: 'largest random shift per step in the first quarter of the steps, pixels' },
  { option: 'scale-jitter', key: 'scaleJitter', description: 'largest random relative scale change per step in the first quarter' },
  { option: 'rotate', key: 'rotationDegrees', description: 'largest random rotation per step in the first quarter, degrees' },
  { option: 'redirect-steps', key: 'redirectedReluSteps', integer: true, description: 'steps in which silent filters get redirected ReLU gradients' },
];
/** Command-line spelling of each parameter, for messages. */
const OPTION_NAMES: Record<string, string> = {
  size: 'size',
  steps: 'steps',
  stepSize: 'step',
  seed: 'seed',
  ...Object.fromEntries(CLEAR_OPTIONS.map(({ option, key }) => [`clear.${key}`, option])),
  ...Object.fromEntries(LUCID_OPTIONS.map(({ option, key }) => [`lucid.${key}`, option])),
};
/** Images read by --examples (and compared by default) at most, so a mistaken folder does not read a disk. */
const MAX_EXAMPLE_IMAGES = 10_000;

export const filtersCommand: CliCommand = {
  name: 'filters',
  usage: `convscope filters <model.json> --layer NAME [--filters 0-63 | --filters 3,7] [--preprocess MODE]
                      [--size ${defaults.size}] [--steps ${defaults.steps}] [--step ${defaults.stepSize}] [--preset ${FILTER_PATTERN_PRESETS.join('|')}] [--seed S]
                      [--real-images DIR|none] [--examples DIR [--top ${DEFAULT_FILTER_EXAMPLE_COUNT}]] [--backend B] [--out DIR] [--raw]
  --layer NAME        the convolution layer whose filters are shown
  --filters LIST      filter indices and ranges, e.g. 0-7,12 (default: the first ${DEFAULT_FILTER_COUNT})
  --preprocess MODE   ${PREPROCESS_MODES.join(' | ')} (default: none if the model starts with Rescaling, else rescale)
  --size N            side of each pattern in pixels, ${describeRange(FILTER_PATTERN_RANGES.size)} (default: ${defaults.size})
  --steps N           gradient-ascent steps, per octave for clear, ${describeRange(FILTER_PATTERN_RANGES.steps)} (default: ${defaults.steps})
  --step X            chollet, clear: step in pixel units, ${describeRange(FILTER_PATTERN_RANGES.stepSize)};
                      lucid: factor on its Adam learning rate, ${describeRange(FILTER_PATTERN_RANGES.lucidStepSize)} (default: ${defaults.stepSize})
  --preset P          lucid: Lucid's feature visualisation (Fourier-space image in the model's input range,
                      Adam, jitter, scale, rotation, redirected ReLU); chollet: the study notes' algorithm;
                      clear: the notes' ascent with jitter, octaves, smoothing (default: ${defaults.preset})
  --seed S            seed of the starting image and the jitter (default: ${defaults.seed})
${LUCID_OPTIONS.map(({ option, key, integer, description }) => `  ${`--${option} ${integer ? 'N' : 'X'}`.padEnd(20)}lucid: ${description}, ${describeRange(FILTER_PATTERN_RANGES.lucid[key])} (default: ${lucidParameters(defaults)[key]})`).join('\n')}
${CLEAR_OPTIONS.map(({ option, key, integer, description }) => `  ${`--${option} ${integer ? 'N' : 'X'}`.padEnd(20)}clear: ${description}, ${describeRange(FILTER_PATTERN_RANGES.clear[key])} (default: ${defaults.clear[key]})`).join('\n')}
  --real-images DIR   images each pattern is compared with (its verdict and gain); none: no comparison
                      (default: the images of --examples, else those beside the model)
  --examples DIR      also find what excites each filter in the images under DIR: the ${DEFAULT_FILTER_EXAMPLE_COUNT} crops (receptive
                      fields) where it fires most, written as PNGs and listed in result.json
  --top N             crops kept per filter with --examples (default: ${DEFAULT_FILTER_EXAMPLE_COUNT})
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
    ...Object.fromEntries([...CLEAR_OPTIONS, ...LUCID_OPTIONS].map(({ option }) => [option, { type: 'string' as const }])),
    'real-images': { type: 'string' },
    examples: { type: 'string' },
    top: { type: 'string' },
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
    const examplesFolder = stringOption(values, 'examples');
    const top = positiveInteger(stringOption(values, 'top'), 'top', DEFAULT_FILTER_EXAMPLE_COUNT);
    if (values.top !== undefined && examplesFolder === undefined) throw new UsageError('--top applies with --examples only');
    const exampleImages = examplesFolder === undefined ? undefined : await imageFilesIn(path.resolve(examplesFolder), MAX_EXAMPLE_IMAGES, true);
    if (exampleImages?.length === 0) throw new UsageError(`--examples ${examplesFolder} holds no image files`);
    const parameters = { ...parseParameters(values), ...(await realImagesOption(values, exampleImages)) };
    const backendPreference = oneOf<BackendPreference>(stringOption(values, 'backend'), BACKEND_PREFERENCES, 'backend', 'auto');
    const outDir = path.resolve(stringOption(values, 'out') ?? 'convscope-out');

    // Named from the start: a run past its deadline while the engine starts is about this file too.
    reportReading(modelPath);
    await startBackend(backendPreference);
    let output: OutputFolder | undefined;
    let baseName = '';
    const filterFiles: object[] = [];
    const rawImages: Float32Array[] = [];
    let result: Awaited<ReturnType<typeof runFilterPatternJob>>;
    let grid: string;
    try {
      result = await runFilterPatternJob(
        { modelPath, layerName, filters, preprocess, parameters, limits: { model: DEFAULT_MODEL_LIMITS } },
        {
          checkCancelled: async () => {},
          onReading: reportReading,
          // The folder is made only once the model has been read and the request checked against it.
          onStarted: async (_summary, plan) => {
            output = await OutputFolder.open(outDir);
            baseName = fileNameForLayer(plan.layerIndex, plan.layerName);
            writeOut(`${plan.layerName}: ${plan.filters.length} filters, ${plan.stepsPerFilter} steps each, ${plan.batchSize} at a time\n`);
          },
          onFilter: async (image, pattern) => {
            if (!output) throw new Error('output folder not open');
            const { png: pngBytes, layerIndex: _layerIndex, layerName: _layerName, ...description } = image;
            const png = await output.write(`${baseName}-filter-${String(image.filter).padStart(3, '0')}.png`, pngBytes);
            filterFiles.push({ ...description, png });
            if (values.raw) rawImages.push(pattern.pixels);
            writeOut(`filter ${String(image.filter).padStart(4)}  ${image.verdict}: ${image.verdictText}  → ${png}\n`);
          },
        },
      );
      grid = await output!.write(`${baseName}-filters.png`, result.grid.png);
      const size = parameters.size;
      const raw = values.raw
        ? await output!.write(`${baseName}-filters.npy`, encodeNpy(concatenate(rawImages), [rawImages.length, size, size, result.info.inputChannels]))
        : undefined;
      const examples = exampleImages ? await writeFilterExamples(output!, baseName, modelPath, layerName, filters, top, result.info.preprocess, exampleImages) : undefined;
      if (examples) filterFiles.forEach((file, i) => Object.assign(file, { examples: examples[i] }));
      // The real images are listed once, not in the parameters (a folder can hold thousands).
      const { realImages, ...shownParameters } = result.info.parameters;
      await output!.writeResult({ ...result.info, parameters: shownParameters, realImages: realImages ?? 'the images beside the model', grid: { png: grid, ...result.grid.layout }, raw, filters: filterFiles });
    } finally {
      // The folder's lock goes also when the run fails.
      await output?.close();
    }
    const t = result.info.timings;
    writeOut(
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
  const lucid = { ...lucidParameters(defaults) };
  const presetOptions = new Set([...CLEAR_OPTIONS, ...LUCID_OPTIONS].map(({ option }) => option));
  for (const option of presetOptions) {
    const value = stringOption(values, option);
    if (value === undefined) continue;
    const clearOption = CLEAR_OPTIONS.find((candidate) => candidate.option === option);
    const lucidOption = LUCID_OPTIONS.find((candidate) => candidate.option === option);
    const owners = [clearOption && 'clear', lucidOption && 'lucid'].filter(Boolean);
    if (preset === 'clear' && clearOption) clear[clearOption.key] = parseNumberOption(value, option, FILTER_PATTERN_RANGES.clear[clearOption.key]);
    else if (preset === 'lucid' && lucidOption) lucid[lucidOption.key] = parseNumberOption(value, option, FILTER_PATTERN_RANGES.lucid[lucidOption.key]);
    else throw new UsageError(`--${option} applies to --preset ${owners.join(' or ')} only`);
  }
  const stepOption = stringOption(values, 'step');
  const seedOption = stringOption(values, 'seed');
  const parameters: FilterPatternParameters = {
    preset,
    size: positiveInteger(stringOption(values, 'size'), 'size', defaults.size),
    steps: positiveInteger(stringOption(values, 'steps'), 'steps', defaults.steps),
    stepSize: stepOption === undefined ? defaults.stepSize : parseNumberOption(stepOption, 'step', preset === 'lucid' ? FILTER_PATTERN_RANGES.lucidStepSize : FILTER_PATTERN_RANGES.stepSize),
    // The seed initialises a 32-bit generator.
    seed: seedOption === undefined ? defaults.seed : parseNumberOption(seedOption, 'seed', FILTER_PATTERN_RANGES.seed),
    clear,
    lucid,
  };
  // Whatever the engine would refuse, refused here with the option's name and range.
  const [problem] = filterPatternParameterProblems(parameters);
  if (problem) throw new UsageError(problem.problem.replace(problem.parameter, `--${OPTION_NAMES[problem.parameter] ?? problem.parameter}`));
  return parameters;
}

/** `--real-images`: a folder, or none; omitted: the --examples images, or the engine's default (the images beside the model). */
async function realImagesOption(values: CliValues, exampleImages: string[] | undefined): Promise<Pick<FilterPatternParameters, 'realImages'>> {
  const option = stringOption(values, 'real-images');
  if (option === 'none') return { realImages: [] };
  if (option === undefined) return exampleImages ? { realImages: exampleImages } : {};
  const images = await imageFilesIn(path.resolve(option), MAX_EXAMPLE_IMAGES, true);
  if (images.length === 0) throw new UsageError(`--real-images ${option} holds no image files (use --real-images none for no comparison)`);
  return { realImages: images };
}

/** Crops are small (a first layer's are 3×3): written enlarged by a whole factor, nearest neighbour, to at least this side. */
const EXAMPLE_MIN_SIDE = 64;

/** `--examples`: searches the images, writes each filter's crops as PNGs and returns their descriptions, per filter in tile order. */
async function writeFilterExamples(
  output: OutputFolder,
  baseName: string,
  modelPath: string,
  layerName: string,
  filters: number[] | undefined,
  top: number,
  preprocess: PreprocessMode,
  images: string[],
): Promise<object[]> {
  const { patternModel, summary } = await loadModelCached(modelPath, DEFAULT_MODEL_LIMITS);
  writeOut(`what excites each filter: ${images.length} images\n`);
  const { results, skipped } = await findFilterExamples(patternModel, summary, { layerName, filters, top, preprocess }, images, {
    onImage: (done, total) => {
      if (done % 100 === 0 || done === total) writeOut(`  ${done}/${total} images\n`);
    },
  });
  for (const { image, problem } of skipped) writeOut(`  skipped ${image}: ${problem}\n`);
  return Promise.all(results.map((entry) => writeExampleCrops(output, baseName, entry)));
}

async function writeExampleCrops(output: OutputFolder, baseName: string, { filter, examples }: FilterExamples): Promise<object> {
  const written = [];
  for (const [rank, example] of examples.entries()) {
    const { pixels, channels, crop } = example;
    const factor = Math.max(1, Math.ceil(EXAMPLE_MIN_SIDE / Math.max(crop.width, crop.height)));
    const enlarged = enlarge(pixels, crop.width, crop.height, channels, factor);
    const png = await output.write(`${baseName}-filter-${String(filter).padStart(3, '0')}-example-${rank + 1}.png`, await encodePng(enlarged, crop.width * factor, crop.height * factor, channels));
    written.push({ image: example.image, activation: example.activation, position: example.position, crop, png });
  }
  return written;
}

function enlarge(pixels: Uint8Array, width: number, height: number, channels: number, factor: number): Uint8Array {
  if (factor === 1) return pixels;
  const out = new Uint8Array(width * factor * height * factor * channels);
  for (let y = 0; y < height * factor; y++) {
    for (let x = 0; x < width * factor; x++) {
      const from = (Math.floor(y / factor) * width + Math.floor(x / factor)) * channels;
      out.set(pixels.subarray(from, from + channels), (y * width * factor + x) * channels);
    }
  }
  return out;
}

function parseNumberOption(text: string, option: string, range: { min: number; max: number; aboveMin?: boolean; integer?: boolean }): number {
  const value = Number(text);
  if (text.trim() === '' || !isInRange(value, range)) throw new UsageError(`--${option} must be ${describeRange(range)} (got "${text}")`);
  return value;
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
