// The extension host's (and tests') handle on the engine: two lanes, each its own worker thread
// (src/host/engineLane.ts), so that a short job (a summary, activations, Grad-CAM, one filter)
// never waits behind a long one (a filter grid). The long lane's worker starts on demand and stops
// when idle; the short lane's is stopped when idle with more WASM memory than a bound.
import {
  IDLE_WORKER_WASM_HEAP_BYTES,
  LONG_LANE_IDLE_STOP_MS,
  WORKER_IDLE_CHECK_MS,
} from '../shared/defaults';
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
  CamMapImages,
  ChannelRequest,
  EngineLimits,
  EngineMemory,
  FilterPatternJobRequest,
  FilterPatternJobResult,
  GradCamJobRequest,
  GradCamJobResult,
  JobKind,
  JobKinds,
} from '../shared/engineProtocol';
import type { DatasetJobRequest, DatasetRunStart } from '../shared/engineProtocol';
import type { DatasetImageResult, DatasetRunSummary, DatasetSkippedImage } from '../shared/types';
import { describeJob, laneOf, type EngineLaneName } from './engineJobs';
import { EngineLane, type JobListeners, type ProgressHandler, type WorkerSettings } from './engineLane';

export { EngineError } from './engineLane';
export type { EngineLaneName } from './engineJobs';

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
  /** How long a lane stays idle before its memory is checked (default WORKER_IDLE_CHECK_MS). */
  idleCheckMs?: number;
  /** WASM memory the short lane's worker may keep while idle (default IDLE_WORKER_WASM_HEAP_BYTES); past it the worker is stopped. */
  idleWasmHeapBytes?: number;
  /** How long the long lane's worker stays idle before it is stopped (default LONG_LANE_IDLE_STOP_MS). */
  longLaneIdleMs?: number;
}

/** What a job waits behind, told to whoever watches its AbortSignal (see `onJobWaiting`). */
export interface JobWait {
  /** The job running before it, as the object of "Waiting for … to finish". */
  behind: string;
}

export interface ActivationRunStart {
  /** Identifies this run's outputs in the worker, for `renderChannel`. */
  jobId: number;
  summary: ModelSummary;
  layerIndices: number[];
  preprocess: PreprocessMode;
  thumbnail?: Uint8Array;
}

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
  /** Each map as soon as it is rendered (map `index` of `total` side by side). */
  onMap?(map: CamMapImages, index: number, total: number): void;
  onProgress?: ProgressHandler;
}

export interface DatasetHandlers {
  onStarted?(start: DatasetRunStart): void;
  /** Each batch's results as it finishes, with the batch's unreadable images. */
  onImages?(images: DatasetImageResult[], skipped: DatasetSkippedImage[]): void;
  onProgress?: ProgressHandler;
}

export class EngineClient {
  private nextId = 1;
  private readonly lanes: Record<EngineLaneName, EngineLane>;
  private readonly waitWatchers = new WeakMap<AbortSignal, Set<(wait: JobWait | undefined) => void>>();

  constructor(private options: EngineClientOptions) {
    const common = {
      settings: (): WorkerSettings => this.options,
      log: options.log,
      nextId: () => this.nextId++,
      jobDeadlinesMs: options.jobDeadlinesMs,
      maxWasmHeapBytes: options.maxWasmHeapBytes,
    };
    this.lanes = {
      short: new EngineLane({
        ...common,
        label: 'the engine worker',
        idle: { afterMs: options.idleCheckMs ?? WORKER_IDLE_CHECK_MS, maxWasmHeapBytes: options.idleWasmHeapBytes ?? IDLE_WORKER_WASM_HEAP_BYTES },
      }),
      // Started by the first filter grid, stopped when idle: a second model in memory only while grids run.
      long: new EngineLane({ ...common, label: 'the engine worker for filter grids', idle: { afterMs: options.longLaneIdleMs ?? LONG_LANE_IDLE_STOP_MS, maxWasmHeapBytes: 0 } }),
    };
  }

  /** Starts the short lane's worker (once) and reports the backend it chose; the long lane's starts with its first job. */
  start(): Promise<BackendReport> {
    return this.lanes.short.start();
  }

  /** Applies a new backend preference: the next job starts a fresh worker with it. */
  async setBackend(backend: BackendPreference, allowNative: boolean): Promise<void> {
    this.options = { ...this.options, backend, allowNative };
    await Promise.all([this.lanes.short.stop(), this.lanes.long.stop()]);
  }

  /**
   * Tells `listener` while a job run with `signal` waits behind another (and `undefined` when it
   * starts): a panel says what it waits for, whichever engine call its run makes.
   */
  onJobWaiting(signal: AbortSignal, listener: (wait: JobWait | undefined) => void): { dispose(): void } {
    let watchers = this.waitWatchers.get(signal);
    if (!watchers) this.waitWatchers.set(signal, (watchers = new Set()));
    watchers.add(listener);
    return { dispose: () => watchers.delete(listener) };
  }

  /** Whether a lane has a worker started: the long one only while grids run or lately ran. */
  hasWorker(lane: EngineLaneName): boolean {
    return this.lanes[lane].hasWorker;
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
          if (event.type === 'camMap') handlers.onMap?.(event.map, event.index, event.total);
        },
      },
      signal,
    );
  }

  /** Explain Folder: on the long lane, so Grad-CAM of one of its images runs beside it. */
  runDataset(request: DatasetJobRequest, handlers: DatasetHandlers, signal?: AbortSignal): Promise<DatasetRunSummary> {
    return this.runJob(
      'dataset',
      request,
      {
        onProgress: handlers.onProgress,
        onEvent: (event) => {
          if (event.type === 'datasetStarted') handlers.onStarted?.(event.start);
          else if (event.type === 'datasetImages') handlers.onImages?.(event.images, event.skipped);
        },
      },
      signal,
    );
  }

  /** A lane's worker's live tensors and memory once the jobs asked for before on it have finished. */
  measureMemory(lane: EngineLaneName = 'short'): Promise<EngineMemory> {
    return this.lanes[lane].measureMemory();
  }

  async dispose(): Promise<void> {
    await Promise.all([this.lanes.short.dispose(), this.lanes.long.dispose()]);
  }

  /** Sends the job to its lane, telling the watchers of its signal what it waits behind. */
  private runJob<K extends JobKind>(
    kind: K,
    request: JobKinds[K]['request'],
    listeners: JobListeners,
    signal?: AbortSignal,
    onId?: (id: number) => void,
  ): Promise<JobKinds[K]['result']> {
    const onWaiting = (behind: string | undefined) => {
      for (const watcher of (signal && this.waitWatchers.get(signal)) ?? []) watcher(behind === undefined ? undefined : { behind });
    };
    return this.lanes[laneOf(kind, request)].run(kind, request, { ...listeners, onWaiting }, describeJob(kind, request), signal, onId);
  }
}
