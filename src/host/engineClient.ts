// The extension host's (and tests') handle on the engine worker: request ids, progress and layer
// callbacks, cancellation through an AbortSignal, a deadline for every job, and a fresh worker
// after a crash, a job past its deadline or a job that left the worker's WASM memory too large.
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { JOB_DEADLINES_MS, MAX_WORKER_WASM_HEAP_BYTES } from '../shared/defaults';
import { safeForTerminal } from '../shared/errors';
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
  /** How long each kind of job may take, loading included (default JOB_DEADLINES_MS); past it the worker is replaced. */
  jobDeadlinesMs?: Partial<Record<JobKind, number>>;
  /** WASM memory a worker may keep after a job (default MAX_WORKER_WASM_HEAP_BYTES); past it the worker is replaced. */
  maxWasmHeapBytes?: number;
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
  kind: JobKind;
  /** The file the job reads now (the worker says so before each file), for a job that never ends. */
  file?: string;
  resolve(value: unknown): void;
  reject(error: EngineError): void;
  listeners: JobListeners;
}

/** How long a cancelled job may take to stop by itself before its worker is terminated. */
const CANCEL_GRACE_MS = 5000;

/**
 * Kept in step with src/worker/engineWorker.ts: a `progress` message whose counts are this names
 * the file the job reads next, and is no progress to show.
 */
const READING_FILE_PROGRESS = -1;

/** The worker thread's own JavaScript heap: past it the worker alone stops (out of memory), not the extension host. */
const WORKER_HEAP_MEGABYTES = 4096;

export class EngineClient {
  private worker: Worker | undefined;
  private ready: Promise<BackendReport> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, PendingJob>();
  /** Jobs go to the worker one at a time, so that each one's deadline counts from when it starts. */
  private queue: Promise<void> = Promise.resolve();

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

  /** Queues the job behind the ones asked for before; a job cancelled while it waits never starts. */
  private runJob<K extends JobKind>(
    kind: K,
    request: JobKinds[K]['request'],
    listeners: JobListeners,
    signal?: AbortSignal,
    onId?: (id: number) => void,
  ): Promise<JobKinds[K]['result']> {
    if (signal?.aborted) return Promise.reject(new EngineError('cancelled', 'Cancelled'));
    let posted = false;
    const job = this.queue.then(() => {
      if (signal?.aborted) throw new EngineError('cancelled', 'Cancelled');
      posted = true;
      return this.postJob(kind, request, listeners, signal, onId);
    });
    this.queue = job.then(
      () => this.afterJob(kind),
      () => this.afterJob(kind),
    );
    if (!signal) return job;
    // A job still waiting for its turn is cancelled at once; a running one when the worker stops it.
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!posted) reject(new EngineError('cancelled', 'Cancelled'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      job.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /**
   * The WASM backend's memory only grows: a worker left holding more than the bound after a job
   * (a file that made it allocate that much) is replaced, so that the memory goes back.
   */
  private async afterJob(kind: JobKind): Promise<void> {
    if (kind === 'memory' || !this.worker) return;
    const bound = this.options.maxWasmHeapBytes ?? MAX_WORKER_WASM_HEAP_BYTES;
    try {
      const memory = await this.postJob('memory', {}, {});
      if (memory.wasmHeapBytes !== undefined && memory.wasmHeapBytes > bound) {
        this.log(`The engine worker's WASM memory grew to ${(memory.wasmHeapBytes / 2 ** 20).toFixed(0)} MiB, over ${(bound / 2 ** 20).toFixed(0)} MiB; restarting it.`);
        await this.stopWorker();
      }
    } catch {
      // A worker that cannot answer is replaced when the next job finds it gone.
    }
  }

  private async postJob<K extends JobKind>(
    kind: K,
    request: JobKinds[K]['request'],
    listeners: JobListeners,
    signal?: AbortSignal,
    onId?: (id: number) => void,
  ): Promise<JobKinds[K]['result']> {
    await this.start();
    const worker = this.worker;
    if (!worker) throw new EngineError('internal', 'The engine worker is not running');
    const id = this.nextId++;
    onId?.(id);
    const deadlineMs = this.options.jobDeadlinesMs?.[kind] ?? JOB_DEADLINES_MS[kind];
    return new Promise((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        worker.postMessage({ type: 'cancel', id } satisfies WorkerRequest);
        graceTimer = setTimeout(() => {
          this.log(`Job ${id} did not stop within ${CANCEL_GRACE_MS} ms of cancelling; restarting the engine worker.`);
          this.failAll(new EngineError('cancelled', 'Cancelled'));
          void this.stopWorker();
        }, CANCEL_GRACE_MS);
      };
      // A job past its deadline is stuck (a file built to make it loop or allocate): its worker is
      // ended, wherever it is, and a fresh one serves the next job.
      const deadline = setTimeout(() => {
        const job = this.pending.get(id);
        const file = job?.file ?? fileOf(request);
        const message = `did not finish within ${formatSeconds(deadlineMs)} s (the ${kind} job), so it was stopped; the engine restarts for the next job`;
        this.log(`${file ?? 'Engine'}: ${message}`);
        job?.reject(file ? new EngineError('input', safeForTerminal(`${file}: ${message}`), file) : new EngineError('internal', `The engine ${message}`));
        void this.stopWorker();
      }, deadlineMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        if (graceTimer) clearTimeout(graceTimer);
        clearTimeout(deadline);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        kind,
        file: fileOf(request),
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
    // With a log, the worker's own console output (TF.js banners, Emscripten's abort traces when a
    // WASM build is missing) goes there instead of the extension host's console.
    const capture = this.options.log !== undefined;
    const worker = new Worker(this.options.workerPath, {
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MEGABYTES },
      stdout: capture,
      stderr: capture,
    });
    this.worker = worker;
    if (capture) {
      for (const stream of [worker.stdout, worker.stderr]) {
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
          if (line.trim() !== '') this.log(`[engine] ${line}`);
        });
      }
    }
    worker.on('message', (message: WorkerResponse) => this.onMessage(message));
    worker.on('error', (error) => {
      this.log(`Engine worker error: ${error.stack ?? error.message}`);
      const outOfMemory = (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.onWorkerGone(worker, outOfMemory ? 'the engine ran out of memory' : `the engine worker failed (${error.message})`, outOfMemory);
    });
    worker.on('exit', (code) => this.onWorkerGone(worker, `the engine worker stopped unexpectedly (exit code ${code})`));
    return new Promise<BackendReport>((resolve, reject) => {
      const onReady = (message: WorkerResponse) => {
        if (message.type === 'ready') {
          worker.off('message', onReady);
          for (const note of message.backend.notes) this.log(note);
          this.log(`Engine ready on the ${message.backend.backend} backend.`);
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
        if (message.done === READING_FILE_PROGRESS) job.file = message.message;
        else job.listeners.onProgress?.(message.done, message.total, message.message);
        return;
      case 'event':
        job.listeners.onEvent?.(message.event);
        return;
      case 'done':
        job.resolve(message.result);
        return;
      case 'failed':
        if (message.failure.stack) this.log(message.failure.stack);
        job.reject(new EngineError(message.failure.kind, safeForTerminal(message.failure.message), message.failure.file, message.failure.stack));
        return;
    }
  }

  /**
   * The worker died under a job: the job fails naming the file it was reading (a problem with that
   * file when the worker ran out of memory, else an internal error), every other waiting job is
   * told, and the next job starts a fresh worker.
   */
  private onWorkerGone(worker: Worker, reason: string, outOfMemory = false): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = undefined;
    for (const job of [...this.pending.values()]) {
      const message = job.file ? `${job.file}: ${reason} while the ${job.kind} job read it; the engine restarts for the next job` : `${reason[0].toUpperCase()}${reason.slice(1)}; it will restart for the next job.`;
      job.reject(new EngineError(outOfMemory && job.file ? 'input' : 'internal', safeForTerminal(message), job.file));
    }
  }

  private failAll(error: EngineError): void {
    for (const job of [...this.pending.values()]) job.reject(error);
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    this.failAll(new EngineError('cancelled', 'The engine was restarted'));
    // A worker stuck in a blocking call may never finish terminating: nothing waits for it longer than a moment.
    if (worker) await Promise.race([worker.terminate(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  /** Lines for the output channel, with any control characters a file put into them made visible. */
  private log(line: string): void {
    this.options.log?.(safeForTerminal(line, { keepLineBreaks: true }));
  }
}

/** The model file a request names, if any. */
function fileOf(request: object): string | undefined {
  const modelPath = (request as { modelPath?: unknown }).modelPath;
  return typeof modelPath === 'string' ? modelPath : undefined;
}

const formatSeconds = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);
