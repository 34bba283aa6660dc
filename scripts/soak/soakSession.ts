// A long session on the example model through the real engine worker: activations, an enlarged
// channel, Grad-CAM, filter patterns and model summaries in a fixed rotation, some cancelled while
// they run, with the worker's live tensors and memory measured after every job. A leak shows as
// tensors above the baseline, or as memory that keeps growing once every kind of job has run.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FilterPatternPreset, LayerActivationImage } from '../../src/shared/types';
import { EngineError, type EngineClient } from '../../src/host/engineClient';
import type { EngineMemory } from '../../src/shared/engineProtocol';
import { DEFAULT_FILTER_PATTERN_PARAMETERS, DEFAULT_IMAGE_LIMITS, DEFAULT_MODEL_LIMITS } from '../../src/shared/defaults';

export const SOAK_KINDS = ['activations', 'channel', 'gradCam', 'filterPatterns', 'summarize'] as const;
export type SoakKind = (typeof SOAK_KINDS)[number];

/** One slot of the rotation: what runs, and whether it is cancelled once it has reported that it started. */
interface Slot {
  kind: SoakKind;
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
  /** `finished`: also when a cancel came too late to stop the job. */
  outcome: 'finished' | 'cancelled';
  /** Measured once the job had ended. */
  memory: EngineMemory;
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
  for (let index = 0; index < options.runs; index++) {
    const slot = ROTATION[index % ROTATION.length];
    // The nth job of its kind: its layer, image, preset and target vary with it.
    const nth = kindCounts.get(slot.kind) ?? 0;
    kindCounts.set(slot.kind, nth + 1);
    const cancelling = new AbortController();
    const cancelOnStart = () => {
      if (slot.cancel) cancelling.abort();
    };
    const signal = cancelling.signal;
    let job: Promise<unknown>;
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
    const record: SoakJobRecord = { index, kind: slot.kind, cancelRequested: slot.cancel, outcome, memory: await engine.measureMemory() };
    jobs.push(record);
    options.onJob?.(record);
    if (index === ROTATION.length - 1) warm = record.memory;
  }
  return { start, warm, end: jobs.at(-1)?.memory ?? start, jobs };
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
