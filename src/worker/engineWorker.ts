// Entry point of the engine worker thread: all TensorFlow.js work happens here, one job at a
// time, so the extension host's thread never blocks on it.
import { parentPort } from 'node:worker_threads';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { LayerActivation } from '../engine/analyses/activations';
import { initializeBackend } from '../engine/tfjs/backend';
import { InputError, JobCancelledError, describeError } from '../shared/errors';
import { renderSingleChannel } from '../render/channelGrid';
import { encodePng } from '../render/png';
import { runActivationJob } from '../jobs/activationJob';
import { measureEngineMemory } from '../jobs/engineMemory';
import { runFilterPatternJob } from '../jobs/filterPatternJob';
import { runGradCamJob } from '../jobs/gradCamJob';
import { runDatasetJob } from '../jobs/datasetJob';
import { loadModelCached } from '../jobs/modelCache';
import type { ChannelRequest, JobEvent, JobKind, JobKinds, WorkerFailure, WorkerRequest, WorkerResponse } from '../shared/engineProtocol';

const port = parentPort;
if (!port) throw new Error('engineWorker must run in a worker thread');

const post = (message: WorkerResponse) => port.postMessage(message);
const cancelledJobs = new Set<number>();
let queue: Promise<void> = Promise.resolve();

/**
 * A convention on top of the wire contract, kept in step with src/host/engineClient.ts: a
 * `progress` message whose counts are this names, in its message, the file the job reads next (no
 * progress to show), so that a job that never ends is reported with that file.
 */
const READING_FILE_PROGRESS = -1;

/** Progress messages closer together than this are dropped (the last step always goes through). */
const PROGRESS_INTERVAL_MS = 100;

/** The latest activation job's outputs, for enlarging a channel; replaced by the next job. */
let retained: { jobId: number; activations: Map<number, { layerName: string; activation: LayerActivation }> } | undefined;

interface JobContext {
  id: number;
  emit(event: JobEvent): void;
  progress(done: number, total: number, message: string): void;
  /** Says which file the job reads next: the host names it if the job never ends. */
  reading(file: string): void;
  /** Lets queued 'cancel' messages arrive, then throws JobCancelledError if this job was cancelled. */
  checkCancelled(): Promise<void>;
}

type JobHandlers = { [K in JobKind]: (request: JobKinds[K]['request'], context: JobContext) => Promise<JobKinds[K]['result']> };

const jobHandlers: JobHandlers = {
  summarize: async (request, context) => {
    context.reading(request.modelPath);
    return (await loadModelCached(request.modelPath, request.limits.model)).summary;
  },

  activations: async (request, context) => {
    const kept: NonNullable<typeof retained> = { jobId: context.id, activations: new Map() };
    retained = kept;
    return runActivationJob(request, {
      checkCancelled: context.checkCancelled,
      onProgress: context.progress,
      onReading: context.reading,
      onStarted: (summary, layerIndices, preprocess, thumbnail) => context.emit({ type: 'activationsStarted', summary, layerIndices, preprocess, thumbnail }),
      onLayer: (layer, activation) => {
        kept.activations.set(layer.layerIndex, { layerName: layer.layerName, activation });
        context.emit({ type: 'layer', layer });
      },
    });
  },

  channel: (request) => renderChannel(request),

  filterPatterns: (request, context) =>
    runFilterPatternJob(request, {
      checkCancelled: context.checkCancelled,
      onProgress: context.progress,
      onReading: context.reading,
      onStarted: (summary, plan, grid, preprocess) => context.emit({ type: 'filterPatternsStarted', summary, plan, grid, preprocess }),
      onFilter: (tile) => context.emit({ type: 'filterTile', tile }),
    }),

  gradCam: (request, context) =>
    runGradCamJob(request, {
      checkCancelled: context.checkCancelled,
      onProgress: context.progress,
      onReading: context.reading,
      onStarted: (summary, layerChoices) => context.emit({ type: 'gradCamStarted', summary, layerChoices }),
      onMap: (map, index, total) => context.emit({ type: 'camMap', index, total, map }),
    }),

  memory: async () => measureEngineMemory(),

  dataset: (request, context) =>
    runDatasetJob(request, {
      checkCancelled: context.checkCancelled,
      onProgress: context.progress,
      onReading: context.reading,
      onStarted: (start) => context.emit({ type: 'datasetStarted', start }),
      onImages: (images, skipped) => context.emit({ type: 'datasetImages', images, skipped }),
    }),
};

async function renderChannel(request: ChannelRequest) {
  const kept = retained?.jobId === request.jobId ? retained.activations.get(request.layerIndex) : undefined;
  if (!kept) throw new Error('That run is no longer available; run the visualization again to enlarge its channels.');
  const [, height, width, channels] = kept.activation.shape;
  if (!Number.isInteger(request.channel) || request.channel < 0 || request.channel >= channels) {
    throw new Error(`Channel ${request.channel} does not exist (the layer has ${channels})`);
  }
  const rendered = renderSingleChannel(kept.activation.data, { height, width, channels }, request.channel, request.colormap);
  return {
    layerIndex: request.layerIndex,
    layerName: kept.layerName,
    channel: request.channel,
    width: rendered.width,
    height: rendered.height,
    min: rendered.min,
    max: rendered.max,
    mean: rendered.mean,
    dead: rendered.dead,
    colormap: request.colormap,
    png: await encodePng(rendered.rgb, rendered.width, rendered.height),
  };
}

function contextFor(id: number): JobContext {
  let lastProgress = 0;
  return {
    id,
    emit: (event) => post({ type: 'event', id, event }),
    progress: (done, total, message) => {
      const time = performance.now();
      if (done < total && time - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = time;
      post({ type: 'progress', id, done, total, message });
    },
    // A progress message whose count is READING_FILE_PROGRESS names a file; the client shows none of it.
    reading: (file) => post({ type: 'progress', id, done: READING_FILE_PROGRESS, total: READING_FILE_PROGRESS, message: file }),
    checkCancelled: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      if (cancelledJobs.has(id)) throw new JobCancelledError();
    },
  };
}

function toFailure(error: unknown): WorkerFailure {
  if (error instanceof JobCancelledError) return { kind: 'cancelled', message: 'Cancelled' };
  if (error instanceof InputError) return { kind: 'input', message: error.message, file: error.file };
  return { kind: 'internal', message: describeError(error), stack: error instanceof Error ? error.stack : undefined };
}

async function runJob<K extends JobKind>(id: number, kind: K, request: JobKinds[K]['request']): Promise<void> {
  try {
    if (cancelledJobs.has(id)) throw new JobCancelledError();
    const handler = jobHandlers[kind] as (request: JobKinds[K]['request'], context: JobContext) => Promise<JobKinds[K]['result']>;
    post({ type: 'done', id, result: await handler(request, contextFor(id)) });
  } catch (error) {
    post({ type: 'failed', id, failure: toFailure(error) });
  } finally {
    cancelledJobs.delete(id);
  }
}

port.on('message', (message: WorkerRequest) => {
  switch (message.type) {
    case 'cancel':
      cancelledJobs.add(message.id);
      return;
    case 'init':
      queue = queue.then(async () => {
        try {
          const selection = await initializeBackend(message.backend, { wasmDirectory: message.wasmDirectory, allowNative: message.allowNative });
          post({ type: 'ready', backend: { ...selection, wasmThreads: selection.backend === 'wasm' ? getThreadsCount() : undefined } });
        } catch (error) {
          post({ type: 'initFailed', message: describeError(error) });
        }
      });
      return;
    case 'job':
      // One job at a time: TF.js keeps global state (backend, tensor registry).
      queue = queue.then(() => runJob(message.id, message.kind, message.request));
      return;
  }
});
