// The engine's wire contract: what each job is asked and returns, and the messages between the
// extension host (EngineClient) and the engine worker thread. Every job is a request with an id; the
// worker answers with progress, job-specific events, then `done` or `failed`.
import type {
  ActivationRunInfo,
  BackendName,
  BackendPreference,
  CamMapInfo,
  ChannelDetail,
  ColormapName,
  FilterGridLayout,
  FilterPatternImage,
  FilterPatternParameters,
  FilterPatternPlan,
  FilterPatternRunInfo,
  GradCamLayerChoice,
  GradCamRunInfo,
  GradCamScore,
  ImageReadOptions,
  LayerActivationImage,
  LayerSelection,
  ModelFileLimits,
  ModelSummary,
  PreprocessMode,
} from './types';
import type { DatasetImageResult, DatasetLabelMapping, DatasetRunSummary, DatasetSkippedImage } from './types';
import type { ExplainMethod } from './camMethods';

export interface EngineLimits {
  model: ModelFileLimits;
  image: ImageReadOptions;
}

export interface ActivationJobRequest {
  modelPath: string;
  imagePath: string;
  layers: LayerSelection;
  /** Omitted: the model's default (see modelSummary.defaultPreprocessFor). */
  preprocess?: PreprocessMode;
  colormap: ColormapName;
  imagesPerRow: number;
  limits: EngineLimits;
  /** Side of the PNG thumbnail of the input image to return; 0 for none. */
  thumbnailSize: number;
  /** For a model whose input takes any height or width: the side images are resized to (default 224). */
  inputSide?: number;
}

export interface ActivationJobResult {
  info: ActivationRunInfo;
  summary: ModelSummary;
  thumbnail?: Uint8Array;
}

export interface FilterPatternJobRequest {
  modelPath: string;
  layerName: string;
  /** Filter indices in tile order; omitted: the first 64 (or all, when fewer). */
  filters?: number[];
  /** Omitted: the model's default (see modelSummary.defaultPreprocessFor). */
  preprocess?: PreprocessMode;
  parameters: FilterPatternParameters;
  /** Filters optimised together at most; the plan may choose fewer for a large layer. */
  maxBatchSize?: number;
  limits: { model: ModelFileLimits };
  /** Also find what excites each filter in these images: each tile carries its `top` best crops. */
  examples?: { images: string[]; top: number };
}

export interface FilterPatternJobResult {
  summary: ModelSummary;
  info: FilterPatternRunInfo;
  /** Every tile in the study notes' grid. */
  grid: { layout: FilterGridLayout; png: Uint8Array };
}

export interface GradCamJobRequest {
  modelPath: string;
  imagePath: string;
  /** Omitted: the model's default (see modelSummary.defaultPreprocessFor). */
  preprocess?: PreprocessMode;
  /** A name from the result's `layerChoices`; omitted: the last convolution (see engine/analyses/gradCam.ts). */
  layer?: string;
  /** A class index, or a name or index as typed; omitted: the top prediction. */
  targetClass?: number | string;
  score: GradCamScore;
  /** The study notes' 0.4. */
  intensity: number;
  colormap: ColormapName;
  /** A labels file the user named; omitted: one is looked for beside the model. */
  labelsPath?: string;
  limits: EngineLimits;
  /** For a model whose input takes any height or width: the side images are resized to (default 224). */
  inputSide?: number;
  /** The methods, side by side; omitted: Grad-CAM alone. */
  methods?: ExplainMethod[];
  /** Further layers, each mapped beside `layer` (side by side). */
  compareLayers?: string[];
  /** Further classes, each mapped beside `targetClass` (side by side). */
  compareClasses?: (number | string)[];
  /** Channels per model run for Score-CAM and Ablation-CAM (default 32). */
  rescoringBatch?: number;
  /** Also measure each map's faithfulness (deletion, insertion, ROAD, beside a random and an edge map). */
  faithfulness?: boolean;
}

/** One map of a Grad-CAM job's run (the first is also the result's `heatmap`, `heatmapPng`, `overlayPng`). */
export interface CamMapImages {
  info: CamMapInfo;
  heatmap: Float32Array;
  heatmapPng: Uint8Array;
  overlayPng: Uint8Array;
}

export interface GradCamJobResult {
  info: GradCamRunInfo;
  summary: ModelSummary;
  /** Every layer the heatmap can be retargeted to. */
  layerChoices: GradCamLayerChoice[];
  /** The heatmap before resizing, `info.heatmapSize`, row-major, 0..1. */
  heatmap: Float32Array;
  /** The heatmap alone, enlarged (the study notes' `matshow`). */
  heatmapPng: Uint8Array;
  /** The heatmap over the original image, at the image's own size. */
  overlayPng: Uint8Array;
  /** Every map, in `info.maps`' order. */
  maps: CamMapImages[];
}

export interface ChannelRequest {
  /** The activation job whose output is enlarged; only the latest job's outputs are kept. */
  jobId: number;
  layerIndex: number;
  channel: number;
  colormap: ColormapName;
}

/** The worker's live tensors and memory, measured between jobs (for soak runs and diagnostics). */
export interface EngineMemory {
  /** Live TF.js tensors: the cached model's weights once a job has run, nothing else between jobs. */
  tensors: number;
  tensorBytes: number;
  /** Resident set of the whole process: the worker is a thread of it. */
  rssBytes: number;
  /** The highest resident set the process has had so far. */
  peakRssBytes: number;
  /** The worker thread's own JavaScript heap. */
  heapUsedBytes: number;
  /** The WASM backend's linear memory, which grows and never shrinks; absent on other backends. */
  wasmHeapBytes?: number;
}

export interface BackendReport {
  backend: BackendName;
  notes: string[];
  /** The WASM backend's thread pool (1: the single-threaded build); absent on other backends. */
  wasmThreads?: number;
}

/** Explain Folder: every image under a folder, predicted in batches, its errors explained. */
export interface DatasetJobRequest {
  modelPath: string;
  folder: string;
  labelsPath?: string;
  /** Omitted: the model's default (see modelSummary.defaultPreprocessFor). */
  preprocess?: PreprocessMode;
  inputSide?: number;
  /** Folder name → class index, as the user confirmed it; folders not named are mapped by the rules of labelMapping.ts. */
  folderToClass?: Record<string, number>;
  /** Where the cache of predictions, thumbnails and heatmaps lives (one subfolder per model content and settings). */
  cacheRoot: string;
  /** Images per forward pass. */
  batchSize: number;
  /** A folder with more images is refused. */
  maxImages: number;
  thumbnailSize: number;
  colormap: ColormapName;
  intensity: number;
  limits: EngineLimits;
}

/** What a dataset run knows once the model is loaded and the folder listed. */
export interface DatasetRunStart {
  summary: ModelSummary;
  classNames: string[];
  classFolders: string[];
  mapping: DatasetLabelMapping;
  imageCount: number;
  cacheFolder: string;
}

/** Each kind of job, with what it is asked and what it finally returns. */
export interface JobKinds {
  summarize: { request: { modelPath: string; limits: EngineLimits }; result: ModelSummary };
  activations: { request: ActivationJobRequest; result: ActivationJobResult };
  channel: { request: ChannelRequest; result: ChannelDetail };
  filterPatterns: { request: FilterPatternJobRequest; result: FilterPatternJobResult };
  gradCam: { request: GradCamJobRequest; result: GradCamJobResult };
  /** Queued like a job, so it measures once the jobs before it have finished. */
  memory: { request: Record<string, never>; result: EngineMemory };
  dataset: { request: DatasetJobRequest; result: DatasetRunSummary };
}
export type JobKind = keyof JobKinds;

/** What a job reports while it runs, besides progress. */
export type JobEvent =
  | { type: 'activationsStarted'; summary: ModelSummary; layerIndices: number[]; preprocess: PreprocessMode; thumbnail?: Uint8Array }
  | { type: 'layer'; layer: LayerActivationImage }
  | { type: 'filterPatternsStarted'; summary: ModelSummary; plan: FilterPatternPlan; grid: FilterGridLayout; preprocess: PreprocessMode }
  | { type: 'filterTile'; tile: FilterPatternImage }
  | { type: 'gradCamStarted'; summary: ModelSummary; layerChoices: GradCamLayerChoice[] }
  /** One map of a Grad-CAM job, as soon as it is rendered: map `index` of `total` side by side. */
  | { type: 'camMap'; index: number; total: number; map: CamMapImages }
  | { type: 'datasetStarted'; start: DatasetRunStart }
  | { type: 'datasetImages'; images: DatasetImageResult[]; skipped: DatasetSkippedImage[] };

export type WorkerRequest =
  | { type: 'init'; backend: BackendPreference; wasmDirectory: string; allowNative: boolean }
  | { [K in JobKind]: { type: 'job'; id: number; kind: K; request: JobKinds[K]['request'] } }[JobKind]
  | { type: 'cancel'; id: number };

export interface WorkerFailure {
  /** `input`: the user's file is at fault (one line, no stack); `cancelled`; `internal`: a bug. */
  kind: 'input' | 'cancelled' | 'internal';
  message: string;
  file?: string;
  stack?: string;
}

export type WorkerResponse =
  | { type: 'ready'; backend: BackendReport }
  | { type: 'initFailed'; message: string }
  | { type: 'progress'; id: number; done: number; total: number; message: string }
  | { type: 'event'; id: number; event: JobEvent }
  | { type: 'done'; id: number; result: JobKinds[JobKind]['result'] }
  | { type: 'failed'; id: number; failure: WorkerFailure };
