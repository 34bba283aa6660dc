// `npm run filters:quality [-- --models shapes,fer,mnist-keras,mnist-graph] [-- --presets lucid,chollet]
//  [-- --layers a,b] [-- --filters 64] [-- --size 64] [-- --steps 40] [-- --lucid '{"jitter":2}'] [-- --batch 16] [-- --repeat 3] [-- --step 1]
//  [-- --ceiling 300] [-- --seed 1]`
//
// Do filter patterns show something on real models? For every convolution layer of the example
// model and of the models in ../shared/realmodels (skipped, saying so, where absent), at the grid's
// default size and step count, per preset:
// - firing: filters whose mean activation is above 0 on at least one real image (the images beside
//   the model, the example model's sample images, and a few generated ones, each read as the model
//   reads it);
// - beats best: of those, the fraction whose pattern excites the filter more than the best real
//   image does (goal ≥ 90 %); median gain: the median of pattern ÷ best real image (goal ≥ 3×);
// - verdicts, and the grid's optimisation time (goal: lucid no slower than chollet on the layer),
//   with the machine's load average, since timings on a shared machine mean little without it;
// - with --ceiling N, the median gain once each `lucid` pattern is taken N steps further in pixel
//   space (filterPatternCeiling.ts): how far the filters can go, as a yardstick for the 40 steps.
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { initializeBackend } from '../src/engine/tfjs/backend';
import { imageFilesIn } from '../src/engine/analyses/filterPatternVerdict';
import type { FilterPattern } from '../src/engine/analyses/filterPatterns';
import { runFilterPatternJob } from '../src/jobs/filterPatternJob';
import { polishedActivations } from './filterPatternCeiling';
import { loadModelCached, releaseCachedModel } from '../src/jobs/modelCache';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_MODEL_LIMITS } from '../src/shared/defaults';
import { FILTER_PATTERN_PRESETS, type FilterPatternPreset, type LucidPresetParameters } from '../src/shared/types';
import { EXAMPLE_FOLDER, QUALITY_MODELS, convolutionLayers, shortLayerName } from './qualityModels';

const ROOT = path.resolve(__dirname, '..');
const WASM_DIRECTORY = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');

/** A few generated images, 96 px RGB: a gradient, a checkerboard, a disc, colour bars, strokes, smooth waves. */
export async function writeGeneratedImages(folder: string): Promise<string[]> {
  const side = 96;
  const drawings: Record<string, (x: number, y: number) => [number, number, number]> = {
    gradient: (x, y) => [(x * 255) / side, (y * 255) / side, 128],
    checkerboard: (x, y) => ((Math.floor(x / 8) + Math.floor(y / 8)) % 2 ? [230, 230, 230] : [20, 20, 20]),
    disc: (x, y) => (Math.hypot(x - side / 2, y - side / 2) < side / 4 ? [250, 250, 250] : [10, 10, 10]),
    bars: (x) => [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]][Math.floor((x * 6) / side)] as [number, number, number],
    strokes: (x, y) => (Math.abs(x - y) < 5 || Math.abs(x - side / 3) < 4 || Math.abs(y - (2 * side) / 3) < 4 ? [255, 255, 255] : [0, 0, 0]),
    waves: (x, y) => [128 + 100 * Math.sin(x / 5) * Math.cos(y / 7), 128 + 100 * Math.sin((x + y) / 9), 128 + 100 * Math.cos(y / 4)],
  };
  const files: string[] = [];
  for (const [name, draw] of Object.entries(drawings)) {
    const pixels = Buffer.alloc(side * side * 3);
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) pixels.set(draw(x, y).map((v) => Math.max(0, Math.min(255, Math.round(v)))), (y * side + x) * 3);
    const file = path.join(folder, `${name}.png`);
    await sharp(pixels, { raw: { width: side, height: side, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
  return files;
}

/** The layers filter patterns can show: layers models' convolutions, graph models' convolution nodes after their activation. */

export interface LayerQuality {
  filters: number;
  firing: number;
  beatsBest: number;
  medianGain: number;
  verdicts: Record<string, number>;
  /** The job's optimisation time (wall clock), and the process's CPU time over the whole job (all WASM threads). */
  optimizeMs: number;
  cpuMs: number;
}

/** pattern ÷ best real image, for the filters that fire on some real image. */
export function firingGains(patterns: FilterPattern[]): number[] {
  return patterns.filter((pattern) => pattern.realImages && pattern.realImages.bestActivation > 0).map((pattern) => pattern.lossEnd / pattern.realImages!.bestActivation);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarizeQuality(patterns: FilterPattern[], optimizeMs: number, cpuMs: number): LayerQuality {
  const firing = patterns.filter((pattern) => pattern.realImages && pattern.realImages.bestActivation > 0);
  const gains = firingGains(patterns);
  const verdicts: Record<string, number> = {};
  for (const pattern of patterns) verdicts[pattern.verdict] = (verdicts[pattern.verdict] ?? 0) + 1;
  return {
    filters: patterns.length,
    firing: firing.length,
    beatsBest: firing.filter((pattern) => pattern.lossEnd > pattern.realImages!.bestActivation).length,
    medianGain: median(gains),
    verdicts,
    optimizeMs,
    cpuMs,
  };
}

const load = () => os.loadavg().map((value) => value.toFixed(2)).join(' ');
const percent = (part: number, whole: number) => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(0)} %`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      presets: { type: 'string', default: 'lucid,chollet' },
      layers: { type: 'string' },
      filters: { type: 'string' },
      size: { type: 'string', default: String(DEFAULT_FILTER_PATTERN_PARAMETERS.size) },
      steps: { type: 'string', default: String(DEFAULT_FILTER_PATTERN_PARAMETERS.steps) },
      lucid: { type: 'string' },
      batch: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      step: { type: 'string', default: String(DEFAULT_FILTER_PATTERN_PARAMETERS.stepSize) },
      ceiling: { type: 'string' },
      seed: { type: 'string', default: String(DEFAULT_FILTER_PATTERN_PARAMETERS.seed) },
    },
  });
  const presets = values.presets!.split(',') as FilterPatternPreset[];
  const unknown = presets.find((preset) => !FILTER_PATTERN_PRESETS.includes(preset));
  if (unknown) throw new Error(`unknown preset ${unknown}`);
  const wanted = values.models?.split(',');
  const filterLimit = values.filters === undefined ? undefined : Number(values.filters);
  const lucidOverrides = values.lucid ? (JSON.parse(values.lucid) as Partial<LucidPresetParameters>) : {};
  const repeat = Number(values.repeat);
  const size = Number(values.size);
  const steps = Number(values.steps);
  const ceilingSteps = values.ceiling === undefined ? 0 : Number(values.ceiling);
  await initializeBackend('wasm', { wasmDirectory: WASM_DIRECTORY });
  const generatedFolder = await mkdtemp(path.join(os.tmpdir(), 'convscope-quality-'));
  try {
    const generated = await writeGeneratedImages(generatedFolder);
    const exampleImages = await imageFilesIn(EXAMPLE_FOLDER, 32);
    process.stdout.write(`${os.cpus().length} cores · load average at start ${load()} · size ${values.size}, ${values.steps} steps\n\n`);
    process.stdout.write('| model | layer | preset | filters | firing | pattern > best real | median gain | verdicts | grid time, fastest of the repetitions (CPU time) | load (1/5/15 min) |\n|---|---|---|---|---|---|---|---|---|---|\n');
    const totals = new Map<string, { firing: number; beats: number; gains: number[] }>();
    for (const model of QUALITY_MODELS) {
      if (wanted && !wanted.includes(model.name)) continue;
      if (!existsSync(model.file)) {
        process.stdout.write(`| ${model.name} | skipped: ${path.relative(ROOT, model.file)} is absent | | | | | | | | |\n`);
        continue;
      }
      const { summary, patternModel } = await loadModelCached(model.file, DEFAULT_MODEL_LIMITS);
      const besideModel = path.dirname(model.file) === EXAMPLE_FOLDER ? [] : await imageFilesIn(path.dirname(model.file), 32);
      const realImages = [...besideModel, ...exampleImages, ...generated];
      const layers = values.layers ? values.layers.split(',').filter((name) => summary.layers.some((layer) => layer.name === name)) : convolutionLayers(summary);
      for (const layerName of layers) {
        const layer = summary.layers.find((candidate) => candidate.name === layerName)!;
        const filterCount = (layer.outputShape as number[])[3];
        const filters = Array.from({ length: Math.min(filterLimit ?? 64, filterCount) }, (_, i) => i);
        const runs = new Map<FilterPatternPreset, { patterns: FilterPattern[]; optimizeMs: number[]; cpuMs: number[] }>();
        // Presets alternate in order from one repetition to the next; the fastest run of each is the
        // one least slowed by other work on the machine.
        for (let repetition = 0; repetition < repeat; repetition++) {
          for (const preset of repetition % 2 === 0 ? presets : [...presets].reverse()) {
            const patterns: FilterPattern[] = [];
            const cpuBefore = process.cpuUsage();
            const result = await runFilterPatternJob(
              {
                modelPath: model.file,
                layerName,
                filters,
                parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, lucid: { ...DEFAULT_FILTER_PATTERN_PARAMETERS.lucid!, ...lucidOverrides }, preset, size, steps, stepSize: Number(values.step), seed: Number(values.seed), realImages },
                limits: { model: DEFAULT_MODEL_LIMITS },
                ...(values.batch ? { maxBatchSize: Number(values.batch) } : {}),
              },
              { onFilter: (_image, pattern) => void patterns.push(pattern), checkCancelled: async () => {} },
            );
            const cpu = process.cpuUsage(cpuBefore);
            const run = runs.get(preset) ?? { patterns, optimizeMs: [], cpuMs: [] };
            run.optimizeMs.push(result.info.timings.optimizeMs);
            run.cpuMs.push((cpu.user + cpu.system) / 1000);
            runs.set(preset, run);
          }
        }
        const cholletMs = runs.get('chollet') ? Math.min(...runs.get('chollet')!.optimizeMs) : undefined;
        for (const preset of presets) {
          const run = runs.get(preset)!;
          const quality = summarizeQuality(run.patterns, Math.min(...run.optimizeMs), Math.min(...run.cpuMs));
          for (const key of [model.name, 'all']) {
            const total = totals.get(`${key} ${preset}`) ?? { firing: 0, beats: 0, gains: [] };
            total.firing += quality.firing;
            total.beats += quality.beatsBest;
            total.gains.push(...firingGains(run.patterns));
            totals.set(`${key} ${preset}`, total);
          }
          const shortName = shortLayerName(layerName);
          const verdicts = Object.entries(quality.verdicts).map(([verdict, count]) => `${count} ${verdict}`).join(', ');
          const versusChollet = cholletMs && preset !== 'chollet' ? ` = ${(quality.optimizeMs / cholletMs).toFixed(2)}× chollet` : '';
          process.stdout.write(
            `| ${model.name} | ${shortName} | ${preset} | ${quality.filters} | ${quality.firing} | ${percent(quality.beatsBest, quality.firing)} | ${quality.medianGain.toFixed(2)}× | ${verdicts} | ${(quality.optimizeMs / 1000).toFixed(1)} s${versusChollet} (CPU ${(quality.cpuMs / 1000).toFixed(1)} s) | ${load()} |\n`,
          );
        }
        const lucidRun = runs.get('lucid');
        if (ceilingSteps > 0 && lucidRun) {
          const firing = lucidRun.patterns.filter((pattern) => pattern.realImages && pattern.realImages.bestActivation > 0);
          const started = performance.now();
          const polished = firing.length === 0 ? [] : await polishedActivations({ model: patternModel, modelPath: model.file, layer, filterCount, preprocess: summary.defaultPreprocess }, firing, ceilingSteps);
          const gains = firing.map((pattern, i) => polished[i] / pattern.realImages!.bestActivation);
          for (const key of [model.name, 'all']) {
            const total = totals.get(`${key} ceiling`) ?? { firing: 0, beats: 0, gains: [] };
            total.firing += firing.length;
            total.beats += gains.filter((gain) => gain > 1).length;
            total.gains.push(...gains);
            totals.set(`${key} ceiling`, total);
          }
          const shortName = shortLayerName(layerName);
          process.stdout.write(
            `| ${model.name} | ${shortName} | lucid + ${ceilingSteps} pixel steps (ceiling) | ${lucidRun.patterns.length} | ${firing.length} | ${percent(gains.filter((gain) => gain > 1).length, firing.length)} | ${median(gains).toFixed(2)}× | – | ${((performance.now() - started) / 1000).toFixed(1)} s more | ${load()} |\n`,
          );
        }
      }
      releaseCachedModel();
    }
    process.stdout.write('\nPer model, all its layers together (goal: ≥ 90 % and ≥ 3×):\n');
    for (const [key, total] of totals) {
      process.stdout.write(`- ${key}: pattern > best real image for ${percent(total.beats, total.firing)} of ${total.firing} firing filters; median gain ${median(total.gains).toFixed(2)}×\n`);
    }
    process.stdout.write(`\nload average at the end ${load()}\n`);
  } finally {
    await rm(generatedFolder, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
