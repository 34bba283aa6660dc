// Entry point of the engine worker thread: all TensorFlow.js work happens here, one job at a
// time, so the extension host's thread never blocks on it.
import { parentPort } from 'node:worker_threads';
import type { LayerActivation } from '../engine/activations';
import { initializeBackend } from '../engine/backend';
import { InputError, JobCancelledError, describeError } from '../engine/errors';
import { renderSingleChannel } from '../render/channelGrid';
import { encodePng } from '../render/png';
import { runActivationJob } from './activationJob';
import { loadModelCached } from './modelCache';
import type { ChannelRequest, WorkerFailure, WorkerRequest, WorkerResponse } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('engineWorker must run in a worker thread');

const post = (message: WorkerResponse) => port.postMessage(message);
const cancelledJobs = new Set<number>();
let queue: Promise<void> = Promise.resolve();

/** The latest activation job's outputs, for enlarging a channel; replaced by the next job. */
let retained: { jobId: number; layerName: Map<number, string>; activations: Map<number, LayerActivation> } | undefined;

function toFailure(error: unknown): WorkerFailure {
  if (error instanceof JobCancelledError) return { kind: 'cancelled', message: 'Cancelled' };
  if (error instanceof InputError) return { kind: 'input', message: error.message, file: error.file };
  return { kind: 'internal', message: describeError(error), stack: error instanceof Error ? error.stack : undefined };
}

async function checkCancelled(id: number): Promise<void> {
  // Lets queued 'cancel' messages arrive before deciding.
  await new Promise((resolve) => setImmediate(resolve));
  if (cancelledJobs.has(id)) throw new JobCancelledError();
}

async function renderChannel(id: number, request: ChannelRequest): Promise<void> {
  const activation = retained?.jobId === request.jobId ? retained.activations.get(request.layerIndex) : undefined;
  if (!retained || !activation) throw new Error('That run is no longer available; run the visualization again to enlarge its channels.');
  const [, height, width, channels] = activation.shape;
  if (!Number.isInteger(request.channel) || request.channel < 0 || request.channel >= channels) {
    throw new Error(`Channel ${request.channel} does not exist (the layer has ${channels})`);
  }
  const rendered = renderSingleChannel(activation.data, { height, width, channels }, request.channel, request.colormap);
  post({
    type: 'channel',
    id,
    channel: {
      layerIndex: request.layerIndex,
      layerName: retained.layerName.get(request.layerIndex) ?? '',
      channel: request.channel,
      width: rendered.width,
      height: rendered.height,
      min: rendered.min,
      max: rendered.max,
      mean: rendered.mean,
      dead: rendered.dead,
      colormap: request.colormap,
      png: await encodePng(rendered.rgb, rendered.width, rendered.height),
    },
  });
}

async function handle(message: WorkerRequest): Promise<void> {
  switch (message.type) {
    case 'init': {
      try {
        const selection = await initializeBackend(message.backend, { wasmDirectory: message.wasmDirectory, allowNative: message.allowNative });
        post({ type: 'ready', backend: selection });
      } catch (error) {
        post({ type: 'initFailed', message: describeError(error) });
      }
      return;
    }
    case 'summarize': {
      const { summary } = await loadModelCached(message.modelPath, message.limits.model);
      post({ type: 'summary', id: message.id, summary });
      return;
    }
    case 'activations': {
      const id = message.id;
      retained = { jobId: id, layerName: new Map(), activations: new Map() };
      const kept = retained;
      const result = await runActivationJob(message.request, {
        checkCancelled: () => checkCancelled(id),
        onStarted: (summary, layerIndices, preprocess, thumbnail) => post({ type: 'activationsStarted', id, summary, layerIndices, preprocess, thumbnail }),
        onProgress: (done, total, text) => post({ type: 'progress', id, done, total, message: text }),
        onLayer: (layer, activation) => {
          kept.activations.set(layer.layerIndex, activation);
          kept.layerName.set(layer.layerIndex, layer.layerName);
          post({ type: 'layer', id, layer });
        },
      });
      post({ type: 'activationsDone', id, result });
      return;
    }
    case 'channel':
      await renderChannel(message.id, message.request);
      return;
    case 'cancel':
      return;
  }
}

port.on('message', (message: WorkerRequest) => {
  if (message.type === 'cancel') {
    cancelledJobs.add(message.id);
    return;
  }
  // One job at a time: TF.js keeps global state (backend, tensor registry).
  queue = queue.then(async () => {
    const id = 'id' in message ? message.id : undefined;
    try {
      if (id !== undefined && cancelledJobs.has(id)) throw new JobCancelledError();
      await handle(message);
    } catch (error) {
      if (id !== undefined) post({ type: 'failed', id, failure: toFailure(error) });
    } finally {
      if (id !== undefined) cancelledJobs.delete(id);
    }
  });
});
