// The extension host's (and tests') handle on the engine worker: request ids, progress and layer
// callbacks, cancellation through an AbortSignal, and a fresh worker after a crash.
import { Worker } from 'node:worker_threads';
import type {
  BackendPreference,
  ChannelDetail,
  FilterGridLayout,
  FilterPatternImage,
  FilterPatternPlan,
  GradCamLayerChoice,
  LayerActivationImage,
  ModelSummary,
  PreprocessMode,
} from '../shared/types';
import type {
  ActivationJobRequest,
  ActivationJobResult,
  BackendReport,
  ChannelRequest,
  EngineLimits,
  EngineMemory,
  FilterPatternJobRequest,
  FilterPatternJobResult,
  GradCamJobRequest,
  GradCamJobResult,
  JobEvent,
  JobKind,
  JobKinds,
  WorkerFailure,
  WorkerRequest,
  WorkerResponse,
} from '../shared/engineProtocol';

export class EngineError extends Error {
  override readonly name = 'EngineError';

  constructor(
    readonly kind: WorkerFailure['kind'],
    message: string,
    readonly file?: string,
    readonly workerStack?: string,
  ) {
    super(message);
  }
}

export interface EngineClientOptions {
  /** dist/worker.js */
  workerPath: string;
  /** dist/wasm */
  wasmDirectory: string;
  backend: BackendPreference;
  allowNative: boolean;
  /** Diagnostics for the output channel. */
  log?: (line: string) => void;
}

export interface ActivationRunStart {
  /** Identifies this run's outputs in the worker, for `renderChannel`. */
  jobId: number;
  summary: ModelSummary;
  layerIndices: number[];
  preprocess: PreprocessMode;
  thumbnail?: Uint8Array;
}

type ProgressHandler = (done: number, total: number, message: string) => void;

export interface ActivationHandlers {
  onStarted?(start: ActivationRunStart): void;
  onLayer?(layer: LayerActivationImage): void;
  onProgress?: ProgressHandler;
}

export interface FilterPatternRunStart {
  summary: ModelSummary;
  plan: FilterPatternPlan;
  grid: FilterGridLayout;
  preprocess: PreprocessMode;
}

export interface FilterPatternHandlers {
  onStarted?(start: FilterPatternRunStart): void;
  onTile?(tile: FilterPatternImage): void;
  onProgress?: ProgressHandler;
}

export interface GradCamHandlers {
  onStarted?(summary: ModelSummary, layerChoices: GradCamLayerChoice[]): void;
  onProgress?: ProgressHandler;
}

interface JobListeners {
  onEvent?(event: JobEvent): void;
  onProgress?: ProgressHandler;
}

interface PendingJob {
  resolve(value: unknown): void;
  reject(error: EngineError): void;
  listeners: JobListeners;
}

/** How long a cancelled job may take to stop by itself before its worker is terminated. */
const CANCEL_GRACE_MS = 5000;

export class EngineClient {
  private worker: Worker | undefined;
  private ready: Promise<BackendReport> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, PendingJob>();

  constructor(private options: EngineClientOptions) {}

  /** Starts the worker (once) and reports the backend it chose. */
  start(): Promise<BackendReport> {
    this.ready ??= this.spawn();
    return this.ready;
  }

  /** Applies a new backend preference: the next job starts a fresh worker with it. */
  async setBackend(backend: BackendPreference, allowNative: boolean): Promise<void> {
    this.options = { ...this.options, backend, allowNative };
    await this.stopWorker();
  }

  summarize(modelPath: string, limits: EngineLimits, signal?: AbortSignal): Promise<ModelSummary> {
    return this.runJob('summarize', { modelPath, limits }, {}, signal);
  }

  runActivations(request: ActivationJobRequest, handlers: ActivationHandlers, signal?: AbortSignal): Promise<ActivationJobResult> {
    let jobId = 0;
    return this.runJob(
      'activations',
      request,
      {
        onProgress: handlers.onProgress,
        onEvent: (event) => {
          if (event.type === 'activationsStarted') {
            const { type: _type, ...start } = event;
            handlers.onStarted?.({ jobId, ...start });
          } else if (event.type === 'layer') handlers.onLayer?.(event.layer);
        },
      },
      signal,
      (id) => (jobId = id),
    );
  }

  /** Enlarges one channel of the latest activation run (`request.jobId` from its `onStarted`). */
  renderChannel(request: ChannelRequest, signal?: AbortSignal): Promise<ChannelDetail> {
    return this.runJob('channel', request, {}, signal);
  }

  runFilterPatterns(request: FilterPatternJobRequest, handlers: FilterPatternHandlers, signal?: AbortSignal): Promise<FilterPatternJobResult> {
    return this.runJob(
      'filterPatterns',
      request,
      {
        onProgress: handlers.onProgress,
        onEvent: (event) => {
          if (event.type === 'filterPatternsStarted') handlers.onStarted?.(event);
          else if (event.type === 'filterTile') handlers.onTile?.(event.tile);
        },
      },
      signal,
    );
  }

  runGradCam(request: GradCamJobRequest, handlers: GradCamHandlers, signal?: AbortSignal): Promise<GradCamJobResult> {
    return this.runJob(
      'gradCam',
      request,
      {
        onProgress: handlers.onProgress,
        onEvent: (event) => {
          if (event.type === 'gradCamStarted') handlers.onStarted?.(event.summary, event.layerChoices);
        },
      },
      signal,
    );
  }

  /** The worker's live tensors and memory once the jobs asked for before have finished. */
  measureMemory(): Promise<EngineMemory> {
    return this.runJob('memory', {}, {});
  }

  async dispose(): Promise<void> {
    await this.stopWorker();
  }

  private async runJob<K extends JobKind>(
    kind: K,
    request: JobKinds[K]['request'],
    listeners: JobListeners,
    signal?: AbortSignal,
    onId?: (id: number) => void,
  ): Promise<JobKinds[K]['result']> {
    if (signal?.aborted) throw new EngineError('cancelled', 'Cancelled');
    await this.start();
    const worker = this.worker;
    if (!worker) throw new EngineError('internal', 'The engine worker is not running');
    const id = this.nextId++;
    onId?.(id);
    return new Promise((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        worker.postMessage({ type: 'cancel', id } satisfies WorkerRequest);
        graceTimer = setTimeout(() => {
          this.options.log?.(`Job ${id} did not stop within ${CANCEL_GRACE_MS} ms of cancelling; restarting the engine worker.`);
          this.failAll(new EngineError('cancelled', 'Cancelled'));
          void this.stopWorker();
        }, CANCEL_GRACE_MS);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        if (graceTimer) clearTimeout(graceTimer);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        listeners,
        resolve: (value) => {
          settle();
          resolve(value as JobKinds[K]['result']);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      worker.postMessage({ type: 'job', id, kind, request } as WorkerRequest);
    });
  }

  private spawn(): Promise<BackendReport> {
    const worker = new Worker(this.options.workerPath);
    this.worker = worker;
    worker.on('message', (message: WorkerResponse) => this.onMessage(message));
    worker.on('error', (error) => {
      this.options.log?.(`Engine worker error: ${error.stack ?? error.message}`);
      this.onWorkerGone(worker, `The engine worker failed (${error.message}); it will restart for the next job.`);
    });
    worker.on('exit', (code) => this.onWorkerGone(worker, `The engine worker stopped unexpectedly (exit code ${code}); it will restart for the next job.`));
    return new Promise<BackendReport>((resolve, reject) => {
      const onReady = (message: WorkerResponse) => {
        if (message.type === 'ready') {
          worker.off('message', onReady);
          for (const note of message.backend.notes) this.options.log?.(note);
          this.options.log?.(`Engine ready on the ${message.backend.backend} backend.`);
          resolve(message.backend);
        } else if (message.type === 'initFailed') {
          worker.off('message', onReady);
          reject(new EngineError('internal', message.message));
          void this.stopWorker();
        }
      };
      worker.on('message', onReady);
      worker.postMessage({
        type: 'init',
        backend: this.options.backend,
        wasmDirectory: this.options.wasmDirectory,
        allowNative: this.options.allowNative,
      } satisfies WorkerRequest);
    });
  }

  private onMessage(message: WorkerResponse): void {
    if (!('id' in message)) return;
    const job = this.pending.get(message.id);
    if (!job) return;
    switch (message.type) {
      case 'progress':
        job.listeners.onProgress?.(message.done, message.total, message.message);
        return;
      case 'event':
        job.listeners.onEvent?.(message.event);
        return;
      case 'done':
        job.resolve(message.result);
        return;
      case 'failed':
        if (message.failure.stack) this.options.log?.(message.failure.stack);
        job.reject(new EngineError(message.failure.kind, message.failure.message, message.failure.file, message.failure.stack));
        return;
    }
  }

  private onWorkerGone(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = undefined;
    this.failAll(new EngineError('internal', reason));
  }

  private failAll(error: EngineError): void {
    for (const job of [...this.pending.values()]) job.reject(error);
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    this.failAll(new EngineError('cancelled', 'The engine was restarted'));
    if (worker) await worker.terminate();
  }
}
