// One engine worker thread and the jobs queued for it: request ids, progress and event callbacks,
// cancellation (a queued job at once, a running one by the worker, or by ending the worker when it
// does not stop), a deadline per job, a fresh worker after a crash, and memory given back: a worker
// whose WASM memory grew past a bound is replaced after its job, and one left idle is checked (or
// simply stopped) so that a large model's memory does not stay for the rest of the session.
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { MAX_WORKER_WASM_HEAP_BYTES } from '../shared/defaults';
import { deadlineOf } from './engineJobs';
import { safeForTerminal } from '../shared/errors';
import type { BackendPreference } from '../shared/types';
import type { BackendReport, EngineMemory, JobEvent, JobKind, JobKinds, WorkerFailure, WorkerRequest, WorkerResponse } from '../shared/engineProtocol';

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

export type ProgressHandler = (done: number, total: number, message: string) => void;

export interface JobListeners {
  onEvent?(event: JobEvent): void;
  onProgress?: ProgressHandler;
  /** While the job is queued: what runs before it; undefined once it starts (only called for a job that waited). */
  onWaiting?(behind: string | undefined): void;
}

export interface WorkerSettings {
  workerPath: string;
  wasmDirectory: string;
  backend: BackendPreference;
  allowNative: boolean;
}

export interface IdlePolicy {
  /** How long the lane stays idle before the check. */
  afterMs: number;
  /** The worker is stopped when its WASM memory is above this; 0: stopped whatever it holds. */
  maxWasmHeapBytes: number;
}

export interface EngineLaneOptions {
  /** For the log: "the engine worker", "the engine worker for long jobs". */
  label: string;
  settings(): WorkerSettings;
  /** Diagnostics for the output channel; with it, the worker's console output goes there too. */
  log?(line: string): void;
  /** Ids unique across lanes. */
  nextId(): number;
  jobDeadlinesMs?: Partial<Record<JobKind, number>>;
  /** WASM memory a worker may keep after a job; past it the worker is replaced. */
  maxWasmHeapBytes?: number;
  idle?: IdlePolicy;
}

interface PendingJob {
  kind: JobKind;
  /** The file the job reads now (the worker says so before each file), for a job that never ends. */
  file?: string;
  resolve(value: unknown): void;
  reject(error: EngineError): void;
  listeners: JobListeners;
}

/** A job queued on the lane, or the lane's own upkeep (which no job is told it waits behind). */
interface LaneTask {
  description?: string;
  listeners: JobListeners;
  waited: boolean;
  run(): Promise<void>;
  /** Fails the queued job without running it (the lane is disposed). */
  refuse?(error: EngineError): void;
  /** Removes the queued task's abort listener once it starts. */
  started(): void;
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

const cancelled = () => new EngineError('cancelled', 'Cancelled');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export class EngineLane {
  private worker: Worker | undefined;
  private ready: Promise<BackendReport> | undefined;
  private readonly pending = new Map<number, PendingJob>();
  /** Jobs go to the worker one at a time, so that each one's deadline counts from when it starts. */
  private readonly queue: LaneTask[] = [];
  private running: LaneTask | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** One idle check per idle spell: set by the check, cleared by the next job. */
  private idleChecked = false;
  private disposed = false;

  constructor(private readonly options: EngineLaneOptions) {}

  /** Whether a job runs or waits here. */
  get busy(): boolean {
    return this.running !== undefined || this.queue.length > 0;
  }

  /** Whether the lane has a worker started (or starting). */
  get hasWorker(): boolean {
    return this.worker !== undefined;
  }

  /** Starts the worker (once) and reports the backend it chose. */
  start(): Promise<BackendReport> {
    this.ready ??= this.spawn();
    return this.ready;
  }

  /** Queues the job behind the ones asked for before; a job cancelled while it waits never starts. */
  run<K extends JobKind>(
    kind: K,
    request: JobKinds[K]['request'],
    listeners: JobListeners,
    /** What a job queued behind this one is told it waits for; undefined for a quick check no one need hear of. */
    description: string | undefined,
    signal?: AbortSignal,
    onId?: (id: number) => void,
  ): Promise<JobKinds[K]['result']> {
    if (signal?.aborted || this.disposed) return Promise.reject(cancelled());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.queue.indexOf(task);
        if (index < 0) return;
        this.queue.splice(index, 1);
        reject(cancelled());
        if (!this.busy) this.scheduleIdleCheck();
      };
      const task: LaneTask = {
        description,
        listeners,
        waited: false,
        started: () => signal?.removeEventListener('abort', onAbort),
        refuse: reject,
        run: async () => {
          try {
            resolve(await this.postJob(kind, request, listeners, signal, onId));
          } catch (error) {
            reject(error as EngineError);
          }
          await this.afterJob(kind);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.enqueue(task);
    });
  }

  /** Ends the worker (the job on it fails as cancelled); queued jobs start a fresh one. */
  async stop(): Promise<void> {
    await this.stopWorker();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.clearIdleCheck();
    for (const task of this.queue.splice(0)) {
      task.started();
      task.refuse?.(cancelled());
    }
    await this.stopWorker();
  }

  private enqueue(task: LaneTask): void {
    this.clearIdleCheck();
    if (task.description !== undefined) this.idleChecked = false;
    this.queue.push(task);
    const behind = this.running?.description;
    if (behind !== undefined) {
      task.waited = true;
      task.listeners.onWaiting?.(behind);
    }
    void this.pump();
  }

  /** Runs the queued tasks one after another; told every queued job what it now waits behind. */
  private async pump(): Promise<void> {
    if (this.running) return;
    const task = this.queue.shift();
    if (!task) {
      this.scheduleIdleCheck();
      return;
    }
    this.running = task;
    task.started();
    if (task.waited) task.listeners.onWaiting?.(undefined);
    if (task.description !== undefined) {
      for (const queued of this.queue) {
        queued.waited = true;
        queued.listeners.onWaiting?.(task.description);
      }
    }
    try {
      await task.run();
    } finally {
      this.running = undefined;
      void this.pump();
    }
  }

  private scheduleIdleCheck(): void {
    const idle = this.options.idle;
    if (!idle || this.disposed || !this.worker || this.idleTimer || this.idleChecked) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.busy || !this.worker) return;
      this.idleChecked = true;
      // Queued like a job, so that a job asked for meanwhile waits for the check and then gets a fresh worker.
      this.enqueue({ listeners: {}, waited: false, started: () => {}, run: () => this.checkIdleMemory(idle) });
    }, idle.afterMs);
    this.idleTimer.unref();
  }

  private clearIdleCheck(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** An idle worker holding more than the bound is stopped: the next job starts a fresh one, without the memory. */
  private async checkIdleMemory(idle: IdlePolicy): Promise<void> {
    if (!this.worker || this.queue.length > 0) return;
    const seconds = (idle.afterMs / 1000).toFixed(0);
    if (idle.maxWasmHeapBytes <= 0) {
      this.log(`Stopping ${this.options.label}: idle for ${seconds} s (its model and memory go with it).`);
      await this.stopWorker();
      return;
    }
    try {
      const memory = await this.postJob('memory', {}, {});
      if (memory.wasmHeapBytes !== undefined && memory.wasmHeapBytes > idle.maxWasmHeapBytes && this.queue.length === 0) {
        this.log(`Stopping ${this.options.label}: idle for ${seconds} s with ${mib(memory.wasmHeapBytes)} of WASM memory, over ${mib(idle.maxWasmHeapBytes)}; the next job starts a fresh one.`);
        await this.stopWorker();
      }
    } catch {
      // A worker that cannot answer is replaced when the next job finds it gone.
    }
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
        this.log(`The engine worker's WASM memory grew to ${mib(memory.wasmHeapBytes)}, over ${mib(bound)}; restarting it.`);
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
    if (signal?.aborted) throw cancelled();
    const id = this.options.nextId();
    onId?.(id);
    const deadlineMs = this.options.jobDeadlinesMs?.[kind] ?? deadlineOf(kind, request);
    return new Promise((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        worker.postMessage({ type: 'cancel', id } satisfies WorkerRequest);
        graceTimer = setTimeout(() => {
          this.log(`Job ${id} did not stop within ${CANCEL_GRACE_MS} ms of cancelling; restarting ${this.options.label}.`);
          this.failAll(cancelled());
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

  /** The worker's memory, queued like a job. */
  measureMemory(): Promise<EngineMemory> {
    return this.run('memory', {}, {}, undefined);
  }

  private spawn(): Promise<BackendReport> {
    const settings = this.options.settings();
    // With a log, the worker's own console output (TF.js banners, Emscripten's abort traces when a
    // WASM build is missing) goes there instead of the extension host's console.
    const capture = this.options.log !== undefined;
    const worker = new Worker(settings.workerPath, {
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
          this.log(`Engine ready on the ${message.backend.backend} backend${threadsOf(message.backend)} (${this.options.label}).`);
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
        backend: settings.backend,
        wasmDirectory: settings.wasmDirectory,
        allowNative: settings.allowNative,
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
   * file when the worker ran out of memory, else an internal error), and the next job starts a
   * fresh worker. The other lane's worker is not touched.
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
    this.clearIdleCheck();
    this.failAll(new EngineError('cancelled', 'The engine was restarted'));
    // A worker stuck in a blocking call may never finish terminating: nothing waits for it longer than a moment.
    if (worker) await Promise.race([worker.terminate(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  /** Lines for the output channel, with any control characters a file put into them made visible. */
  private log(line: string): void {
    this.options.log?.(safeForTerminal(line, { keepLineBreaks: true }));
  }
}

/** ` with 8 threads` for the WASM backend (` with 1 thread`: the single-threaded build). */
function threadsOf(report: BackendReport): string {
  if (report.wasmThreads === undefined) return '';
  return ` with ${report.wasmThreads} thread${report.wasmThreads === 1 ? '' : 's'}`;
}

/** The model file a request names, if any. */
function fileOf(request: object): string | undefined {
  const modelPath = (request as { modelPath?: unknown }).modelPath;
  return typeof modelPath === 'string' ? modelPath : undefined;
}

const formatSeconds = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);
