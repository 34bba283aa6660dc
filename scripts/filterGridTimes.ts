// `npm run filters:times -- --out FILE.json [--engine DIR] [--preset P] [--repeat 3] [--models fer,shapes]`
// `npm run filters:times -- --compare BASE.json[,BASE2.json] --with NEW.json[,NEW2.json]`
//
// How long a filter-pattern grid takes, as a user asks for it (the first 64 filters, the defaults,
// the verdicts' real images beside the model), on every convolution layer of the models of
// filterPatternQuality.ts, run by the engine of any checkout: `--engine` is a checkout's root
// (default: this one), whose own sources are loaded, so one preset can be timed against another
// commit's engine on the same machine, e.g. `lucid` now against the `chollet` grid of the commit
// before it (a checkout made by `git worktree add`, its node_modules linked to this one's). Each
// engine runs in its own process: two would patch the one TF.js. Each layer's time is the fastest
// of `--repeat` warm runs (the first one also warms the kernels up); `--compare` prints each
// layer's fastest over the given files, the ratio, and the sums.
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { QUALITY_MODELS, convolutionLayers, shortLayerName } from './qualityModels';

/** model name → layer name → the optimisation time of each repetition, ms. */
type GridTimes = Record<string, Record<string, number[]>>;

interface TimesFile {
  engine: string;
  preset: string;
  times: GridTimes;
}

/** The few entry points of a checkout's engine used here; they have kept these shapes since the filter job was written. */
interface Engine {
  initializeBackend(preference: 'wasm', options: { wasmDirectory: string }): Promise<unknown>;
  runFilterPatternJob(request: object, hooks: { onFilter(): void; checkCancelled(): Promise<void> }): Promise<{ info: { timings: { optimizeMs: number } } }>;
  loadModelCached(file: string, limits: unknown): Promise<{ summary: { layers: { name: string; className: string; hasSpatialOutput: boolean }[] } }>;
  defaults: { DEFAULT_FILTER_PATTERN_PARAMETERS: object; DEFAULT_MODEL_LIMITS: unknown };
}

async function loadEngine(root: string): Promise<Engine> {
  const from = (module: string) => import(path.join(root, 'src', module));
  const [backend, job, cache, defaults] = await Promise.all([from('engine/tfjs/backend.ts'), from('jobs/filterPatternJob.ts'), from('jobs/modelCache.ts'), from('shared/defaults.ts')]);
  return { initializeBackend: backend.initializeBackend, runFilterPatternJob: job.runFilterPatternJob, loadModelCached: cache.loadModelCached, defaults };
}

async function measure(root: string, preset: string, repeat: number, wanted: string[] | undefined): Promise<TimesFile> {
  const engine = await loadEngine(root);
  await engine.initializeBackend('wasm', { wasmDirectory: path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') });
  const { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_MODEL_LIMITS } = engine.defaults;
  const times: GridTimes = {};
  for (const model of QUALITY_MODELS) {
    if (wanted && !wanted.includes(model.name)) continue;
    if (!existsSync(model.file)) {
      process.stderr.write(`${model.name}: skipped, ${model.file} is absent\n`);
      continue;
    }
    const { summary } = await engine.loadModelCached(model.file, DEFAULT_MODEL_LIMITS);
    times[model.name] = {};
    for (const layerName of convolutionLayers(summary)) {
      const runs: number[] = [];
      for (let repetition = 0; repetition < repeat; repetition++) {
        const request = { modelPath: model.file, layerName, parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset }, limits: { model: DEFAULT_MODEL_LIMITS } };
        const result = await engine.runFilterPatternJob(request, { onFilter: () => undefined, checkCancelled: async () => undefined });
        runs.push(result.info.timings.optimizeMs);
      }
      times[model.name][layerName] = runs;
      process.stderr.write(`${model.name} ${shortLayerName(layerName)}: ${runs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')} · load ${os.loadavg().map((value) => value.toFixed(2)).join(' ')}\n`);
    }
  }
  return { engine: root, preset, times };
}

async function readTimes(files: string): Promise<TimesFile[]> {
  return Promise.all(files.split(',').map(async (file) => JSON.parse(await readFile(file, 'utf8')) as TimesFile));
}

/** Each layer's fastest run over the files. */
function fastest(files: TimesFile[]): Map<string, { model: string; layer: string; ms: number }> {
  const result = new Map<string, { model: string; layer: string; ms: number }>();
  for (const { times } of files) {
    for (const [model, layers] of Object.entries(times)) {
      for (const [layer, runs] of Object.entries(layers)) {
        const key = `${model} ${layer}`;
        const ms = Math.min(...runs, result.get(key)?.ms ?? Infinity);
        result.set(key, { model, layer, ms });
      }
    }
  }
  return result;
}

async function compare(baseFiles: string, newFiles: string): Promise<void> {
  const [base, next] = await Promise.all([readTimes(baseFiles), readTimes(newFiles)]);
  const describe = (files: TimesFile[]) => `${files[0].preset} (${files[0].engine})`;
  const baseTimes = fastest(base);
  const newTimes = fastest(next);
  process.stdout.write(`| model | layer | ${describe(base)} | ${describe(next)} | ratio |\n|---|---|---|---|---|\n`);
  let baseSum = 0;
  let newSum = 0;
  let over = 0;
  for (const [key, { model, layer, ms }] of newTimes) {
    const baseMs = baseTimes.get(key)?.ms;
    if (baseMs === undefined) continue;
    baseSum += baseMs;
    newSum += ms;
    if (ms > baseMs) over++;
    process.stdout.write(`| ${model} | ${shortLayerName(layer)} | ${(baseMs / 1000).toFixed(2)} s | ${(ms / 1000).toFixed(2)} s | ${(ms / baseMs).toFixed(2)}× |\n`);
  }
  process.stdout.write(`\nAll layers: ${(baseSum / 1000).toFixed(1)} s and ${(newSum / 1000).toFixed(1)} s, ${(newSum / baseSum).toFixed(2)}×; ${over} layer${over === 1 ? '' : 's'} slower.\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: path.resolve(__dirname, '..') },
      preset: { type: 'string', default: 'lucid' },
      repeat: { type: 'string', default: '3' },
      models: { type: 'string' },
      out: { type: 'string' },
      compare: { type: 'string' },
      with: { type: 'string' },
    },
  });
  if (values.compare) {
    if (!values.with) throw new Error('--compare needs --with');
    await compare(values.compare, values.with);
    return;
  }
  if (!values.out) throw new Error('--out FILE.json is needed (or --compare … --with …)');
  const times = await measure(path.resolve(values.engine), values.preset, Number(values.repeat), values.models?.split(','));
  await writeFile(values.out, JSON.stringify(times, null, 2) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
