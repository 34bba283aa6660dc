// A long session on the example model through the real engine worker: activations, an enlarged
// channel, Grad-CAM, filter patterns and model summaries in a fixed rotation, some cancelled while
// they run, and, where asked, every tenth job a hostile file (test/support/hostileCases.ts) that
// must be refused as it should, with the worker's live tensors, memory and answer time measured
// after every job. A leak shows as tensors above the baseline, or as memory that keeps growing once
// every kind of job has run; a hostile file that harms the worker, as a slow or wrong answer after it.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FilterPatternPreset, LayerActivationImage } from '../../src/shared/types';
import { EngineError, type EngineClient } from '../../src/host/engineClient';
import type { EngineMemory } from '../../src/shared/engineProtocol';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';
import { judgeOutcome, runHostileJob, type HostileCaseRun } from '../../test/support/hostileCases';

export const SOAK_KINDS = ['activations', 'channel', 'gradCam', 'filterPatterns', 'summarize', 'hostile'] as const;
export type SoakKind = (typeof SOAK_KINDS)[number];

/** One slot of the rotation: what runs, and whether it is cancelled once it has reported that it started. */
interface Slot {
  kind: Exclude<SoakKind, 'hostile'>;
  cancel: boolean;
}

/**
 * Ten jobs, every kind cancelled at least once except the two that finish too quickly to
 * cancel (summarize, channel). A channel enlarges a layer of the activation run just before it.
 */
const ROTATION: Slot[] = [
  { kind: 'activations', cancel: false },
  { kind: 'channel', cancel: false },
  { kind: 'gradCam', cancel: false },
  { kind: 'filterPatterns', cancel: false },
  { kind: 'summarize', cancel: false },
  { kind: 'activations', cancel: true },
  { kind: 'gradCam', cancel: true },
  { kind: 'filterPatterns', cancel: true },
  { kind: 'activations', cancel: false },
  { kind: 'filterPatterns', cancel: false },
];

const CONV_LAYERS = ['conv2d_1', 'conv2d_2', 'conv2d_3', 'conv2d_4'];
const GRAD_CAM_TARGETS: (number | string | undefined)[] = [undefined, 0, 'square', 2];
const PRESETS: FilterPatternPreset[] = ['chollet', 'clear'];
const LIMITS = { model: DEFAULT_MODEL_LIMITS, image: DEFAULT_IMAGE_LIMITS };

export interface SoakJobRecord {
  index: number;
  kind: SoakKind;
  cancelRequested: boolean;
  /** `finished`: also when a cancel came too late to stop the job; `refused`: a hostile file refused as it should be. */
  outcome: 'finished' | 'cancelled' | 'refused';
  /** From asking to the answer. */
  ms: number;
  /** Measured once the job had ended. */
  memory: EngineMemory;
  /** The hostile case, for a hostile job. */
  hostileCase?: string;
}

/** A hostile job: what to run and what must happen (see test/support/hostileCases.ts). */
export interface SoakHostileJob {
  name: string;
  run: HostileCaseRun;
  /** The case's folder: a refusal must name a file in it. */
  folder: string;
}

export interface SoakReport {
  /** After loading the model, before the first job: the baseline. */
  start: EngineMemory;
  /** After the first full rotation, when every kind of job and both presets have run: memory may grow up to here. */
  warm: EngineMemory;
  end: EngineMemory;
  jobs: SoakJobRecord[];
}

export interface SoakOptions {
  runs: number;
  /** The example model's folder: model.json and the sample PNGs. */
  exampleFolder: string;
  onJob?(record: SoakJobRecord): void;
  /** Every `every`-th job is the hostile job `next` makes (the `n`-th of them). */
  hostile?: { every: number; next(n: number): Promise<SoakHostileJob> };
}

/** Runs the session; rejects on the first job that ends in an error: every job must end finished or cancelled. */
export async function runSoak(engine: EngineClient, options: SoakOptions): Promise<SoakReport> {
  const modelPath = path.join(options.exampleFolder, 'model.json');
  const images = (await readdir(options.exampleFolder)).filter((name) => name.endsWith('.png')).sort();
  const imageAt = (index: number) => path.join(options.exampleFolder, images[index % images.length]);
  await engine.summarize(modelPath, LIMITS);
  const start = await engine.measureMemory();
  let warm = start;
  let lastActivations: { jobId: number; layers: LayerActivationImage[] } | undefined;
  const jobs: SoakJobRecord[] = [];

  const kindCounts = new Map<SoakKind, number>();
  let rotationIndex = 0;
  for (let index = 0; index < options.runs; index++) {
    if (options.hostile && (index + 1) % options.hostile.every === 0) {
      const n = kindCounts.get('hostile') ?? 0;
      kindCounts.set('hostile', n + 1);
      const hostile = await options.hostile.next(n);
      const started = performance.now();
      const error = await runHostileJob(engine, hostile.run).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      const ms = performance.now() - started;
      const problems = judgeOutcome(hostile.run, hostile.folder, error);
      if (problems.length > 0) throw new Error(`job ${index} (hostile: ${hostile.name}) ${problems.join('; ')}`);
      const record: SoakJobRecord = { index, kind: 'hostile', cancelRequested: false, outcome: error ? 'refused' : 'finished', ms, memory: await engine.measureMemory(), hostileCase: hostile.name };
      jobs.push(record);
      options.onJob?.(record);
      continue;
    }
    const slot = ROTATION[rotationIndex++ % ROTATION.length];
    // The nth job of its kind: its layer, image, preset and target vary with it.
    const nth = kindCounts.get(slot.kind) ?? 0;
    kindCounts.set(slot.kind, nth + 1);
    const cancelling = new AbortController();
    const cancelOnStart = () => {
      if (slot.cancel) cancelling.abort();
    };
    const signal = cancelling.signal;
    let job: Promise<unknown>;
    const started = performance.now();
    switch (slot.kind) {
      case 'activations': {
        const run = { jobId: 0, layers: [] as LayerActivationImage[] };
        job = engine.runActivations(
          { modelPath, imagePath: imageAt(nth), layers: { first: 1 + (nth % 7) }, colormap: nth % 2 ? 'magma' : 'viridis', imagesPerRow: 8, limits: LIMITS, thumbnailSize: 64 },
          {
            onStarted: (started) => {
              run.jobId = started.jobId;
              cancelOnStart();
            },
            onLayer: (layer) => run.layers.push(layer),
          },
          signal,
        );
        lastActivations = run;
        break;
      }
      case 'channel': {
        const layer = lastActivations?.layers.at(-1);
        if (!lastActivations || !layer) throw new Error(`job ${index}: no finished activation run to enlarge a channel of`);
        job = engine.renderChannel({ jobId: lastActivations.jobId, layerIndex: layer.layerIndex, channel: nth % layer.shape[3], colormap: 'viridis' }, signal);
        break;
      }
      case 'gradCam':
        job = engine.runGradCam(
          {
            modelPath,
            imagePath: imageAt(nth),
            layer: CONV_LAYERS[nth % CONV_LAYERS.length],
            targetClass: GRAD_CAM_TARGETS[nth % GRAD_CAM_TARGETS.length],
            score: nth % 2 ? 'logit' : 'output',
            intensity: 0.4,
            colormap: 'jet',
            limits: LIMITS,
          },
          { onStarted: cancelOnStart },
          signal,
        );
        break;
      case 'filterPatterns': {
        job = engine.runFilterPatterns(
          {
            modelPath,
            layerName: CONV_LAYERS[nth % CONV_LAYERS.length],
            filters: [0, 1, 2, 3].map((filter) => filter + 4 * (nth % 4)),
            parameters: { ...DEFAULT_FILTER_PATTERN_PARAMETERS, preset: PRESETS[nth % PRESETS.length], size: 48, steps: 8, seed: nth },
            limits: { model: LIMITS.model },
          },
          { onStarted: cancelOnStart },
          signal,
        );
        break;
      }
      case 'summarize':
        job = engine.summarize(modelPath, LIMITS, signal);
        break;
    }
    const outcome = await job.then(
      () => 'finished' as const,
      (error: unknown) => {
        if (error instanceof EngineError && error.kind === 'cancelled' && slot.cancel) return 'cancelled' as const;
        throw new Error(`job ${index} (${slot.kind}${slot.cancel ? ', cancelled' : ''}) failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    const ms = performance.now() - started;
    // Filter grids run on the long lane's worker (src/host/engineJobs.ts): its memory is theirs to check.
    const memory = await engine.measureMemory(slot.kind === 'filterPatterns' ? 'long' : 'short');
    const record: SoakJobRecord = { index, kind: slot.kind, cancelRequested: slot.cancel, outcome, ms, memory };
    jobs.push(record);
    options.onJob?.(record);
    if (rotationIndex === ROTATION.length) warm = record.memory;
  }
  return { start, warm, end: jobs.at(-1)?.memory ?? start, jobs };
}

/**
 * The live tensors the job's worker must hold after job `index`: the example model's weights (the
 * baseline) after every job that loads it, filter grids included (measured on their own worker);
 * after a hostile file, whatever of that file's model loaded (a model refused only for its input
 * stays cached), not checked; after a channel, which loads nothing, what the last job before it on
 * the same worker (any but a grid) left.
 */
export function expectedTensors(report: SoakReport, index: number): number {
  const job = report.jobs[index];
  if (job.kind === 'hostile') return job.memory.tensors;
  if (job.kind === 'channel') {
    const before = report.jobs.slice(0, index).reverse().find((earlier) => earlier.kind !== 'filterPatterns');
    if (before) return before.memory.tensors;
  }
  return report.start.tensors;
}

/** Answer times per kind: median, 95th percentile and largest, in ms. */
export function answerTimes(jobs: SoakJobRecord[]): Record<SoakKind, { median: number; p95: number; max: number }> {
  const at = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]);
  return Object.fromEntries(
    SOAK_KINDS.map((kind) => {
      const times = jobs.filter((job) => job.kind === kind).map((job) => job.ms).sort((a, b) => a - b);
      return [kind, { median: at(times, 0.5), p95: at(times, 0.95), max: times.at(-1) ?? 0 }];
    }),
  ) as ReturnType<typeof answerTimes>;
}

/** Jobs and cancellations per kind. */
export function countByKind(jobs: SoakJobRecord[]): Record<SoakKind, { jobs: number; cancelled: number; finishedDespiteCancel: number }> {
  const counts = Object.fromEntries(SOAK_KINDS.map((kind) => [kind, { jobs: 0, cancelled: 0, finishedDespiteCancel: 0 }])) as ReturnType<typeof countByKind>;
  for (const job of jobs) {
    const count = counts[job.kind];
    count.jobs++;
    if (job.outcome === 'cancelled') count.cancelled++;
    else if (job.cancelRequested) count.finishedDespiteCancel++;
  }
  return counts;
}
