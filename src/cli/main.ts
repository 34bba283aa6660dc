// `convscope`: the engine on the command line, for batch export and for checking results
// against other tools. Exit codes: 0 done, 1 internal error, 2 bad usage, 3 bad input.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LAYER_COUNT, type LayerSelection } from '../engine/activations';
import { initializeBackend } from '../engine/backend';
import { InputError } from '../engine/errors';
import { DEFAULT_IMAGE_LIMITS } from '../engine/imageInput';
import { DEFAULT_MODEL_LIMITS } from '../engine/layersModelLoader';
import { BACKEND_PREFERENCES, COLORMAP_NAMES, PREPROCESS_MODES, type BackendPreference, type ColormapName, type PreprocessMode } from '../engine/types';
import { encodeNpy } from '../render/npy';
import { runActivationJob } from '../worker/activationJob';
import { loadModelCached } from '../worker/modelCache';
import { OutputFolder, fileNameForLayer } from './outputFolder';
import { formatSummaryTable } from './summaryTable';

const USAGE = `Usage:
  convscope summary <model.json> [--json]
  convscope activations <model.json> <image> [--layers a,b | --first N] [--preprocess MODE]
                        [--backend B] [--colormap C] [--per-row N] [--out DIR] [--raw]

Options:
  --layers a,b        layers to show, by name (default: the first ${DEFAULT_LAYER_COUNT} with 4-D outputs)
  --first N           the first N layers with 4-D outputs
  --preprocess MODE   ${PREPROCESS_MODES.join(' | ')} (default: none if the model starts with Rescaling, else rescale)
  --backend B         ${BACKEND_PREFERENCES.join(' | ')} (default: auto)
  --colormap C        ${COLORMAP_NAMES.join(' | ')} (default: viridis)
  --per-row N         channel tiles per row (default: 16)
  --out DIR           output folder (default: convscope-out)
  --raw               also write each activation as a float32 .npy file
  --debug             print stack traces
`;

class UsageError extends Error {}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${option} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

function positiveInteger(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${option} must be a positive whole number (got "${value}")`);
  return parsed;
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        layers: { type: 'string' },
        first: { type: 'string' },
        preprocess: { type: 'string' },
        backend: { type: 'string' },
        colormap: { type: 'string' },
        'per-row': { type: 'string' },
        out: { type: 'string' },
        raw: { type: 'boolean' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function startBackend(preference: BackendPreference): Promise<string> {
  const selection = await initializeBackend(preference, { wasmDirectory: path.join(__dirname, 'wasm') });
  if (preference !== 'auto' && selection.backend !== preference) {
    for (const note of selection.notes) process.stderr.write(`convscope: ${note}\n`);
  }
  return selection.backend;
}

async function runSummary(modelPath: string, json: boolean): Promise<void> {
  await startBackend('auto');
  const { summary } = await loadModelCached(path.resolve(modelPath), DEFAULT_MODEL_LIMITS);
  process.stdout.write(json ? JSON.stringify(summary, null, 2) + '\n' : formatSummaryTable(summary) + '\n');
}

type ParsedOptions = ReturnType<typeof parseCommandLine>['values'];

async function runActivations(modelPath: string, imagePath: string, options: ParsedOptions): Promise<void> {
  if (options.layers !== undefined && options.first !== undefined) throw new UsageError('use either --layers or --first, not both');
  const layers: LayerSelection = options.layers
    ? { names: options.layers.split(',').map((name) => name.trim()).filter(Boolean) }
    : { first: positiveInteger(options.first, 'first', DEFAULT_LAYER_COUNT) };
  const preprocess = options.preprocess === undefined ? undefined : oneOf<PreprocessMode>(options.preprocess, PREPROCESS_MODES, 'preprocess', 'rescale');
  const colormap = oneOf<ColormapName>(options.colormap, COLORMAP_NAMES, 'colormap', 'viridis');
  const imagesPerRow = positiveInteger(options['per-row'], 'per-row', 16);
  const backendPreference = oneOf<BackendPreference>(options.backend, BACKEND_PREFERENCES, 'backend', 'auto');
  const outDir = path.resolve(options.out ?? 'convscope-out');

  await startBackend(backendPreference);
  let output: OutputFolder | undefined;
  const layerFiles: object[] = [];
  const result = await runActivationJob(
    {
      modelPath: path.resolve(modelPath),
      imagePath: path.resolve(imagePath),
      layers,
      preprocess,
      colormap,
      imagesPerRow,
      limits: { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS },
      thumbnailSize: 0,
    },
    {
      checkCancelled: async () => {},
      // The folder is made only once the model and image have been read successfully.
      onStarted: async () => {
        output = await OutputFolder.open(outDir);
      },
      onLayer: async (layer, activation) => {
        if (!output) throw new Error('output folder not open');
        const baseName = fileNameForLayer(layerFiles.length, layer.layerName);
        const png = await output.write(`${baseName}.png`, layer.png);
        const npy = options.raw ? await output.write(`${baseName}.npy`, encodeNpy(activation.data, activation.shape)) : undefined;
        const { png: _pngBytes, ...description } = layer;
        layerFiles.push({ ...description, png, npy });
        process.stdout.write(`${layer.layerName.padEnd(24)} ${layer.shape.join('×').padEnd(18)} dead ${layer.stats.deadChannelCount}/${layer.stats.channelCount}  → ${png}\n`);
      },
    },
  );
  await output!.writeResult({ ...result.info, layers: layerFiles });
  const t = result.info.timings;
  process.stdout.write(
    `${result.info.backend} backend · model ${t.loadModelMs.toFixed(0)} ms · image ${t.readImageMs.toFixed(0)} ms · forward ${t.forwardMs.toFixed(0)} ms · render ${t.renderMs.toFixed(0)} ms\nWrote ${layerFiles.length} layers to ${outDir}\n`,
  );
}

export async function main(argv: string[]): Promise<number> {
  let debug = argv.includes('--debug');
  try {
    const { values, positionals } = parseCommandLine(argv);
    debug = values.debug === true;
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      process.stdout.write(USAGE);
      return command === undefined && !values.help ? 2 : 0;
    }
    if (command === 'summary' && rest.length === 1) await runSummary(rest[0], values.json === true);
    else if (command === 'activations' && rest.length === 2) await runActivations(rest[0], rest[1], values);
    else throw new UsageError(command === 'summary' || command === 'activations' ? `wrong number of arguments for ${command}` : `unknown command "${command}"`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`convscope: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof InputError) {
      process.stderr.write(`convscope: ${error.message}\n`);
      if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
      return 3;
    }
    process.stderr.write(debug && error instanceof Error && error.stack ? `${error.stack}\n` : `convscope: internal error: ${(error as Error).message} (run with --debug for details)\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
