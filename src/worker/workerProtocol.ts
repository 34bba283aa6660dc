// Messages between the extension host (EngineClient) and the engine worker thread.
import type { ImageLimits } from '../engine/imageInput';
import type { ModelFileLimits } from '../engine/layersModelLoader';
import type { LayerSelection } from '../engine/activations';
import type {
  ActivationRunInfo,
  BackendName,
  BackendPreference,
  ChannelDetail,
  ColormapName,
  LayerActivationImage,
  ModelSummary,
  PreprocessMode,
} from '../engine/types';

export interface EngineLimits {
  model: ModelFileLimits;
  image: ImageLimits;
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
}

export interface ActivationJobResult {
  info: ActivationRunInfo;
  summary: ModelSummary;
  thumbnail?: Uint8Array;
}

export interface ChannelRequest {
  /** The activation job whose output is enlarged; only the latest job's outputs are kept. */
  jobId: number;
  layerIndex: number;
  channel: number;
  colormap: ColormapName;
}

export interface BackendReport {
  backend: BackendName;
  notes: string[];
}

export type WorkerRequest =
  | { type: 'init'; backend: BackendPreference; wasmDirectory: string; allowNative: boolean }
  | { type: 'summarize'; id: number; modelPath: string; limits: EngineLimits }
  | { type: 'activations'; id: number; request: ActivationJobRequest }
  | { type: 'channel'; id: number; request: ChannelRequest }
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
  | { type: 'activationsStarted'; id: number; summary: ModelSummary; layerIndices: number[]; preprocess: PreprocessMode; thumbnail?: Uint8Array }
  | { type: 'layer'; id: number; layer: LayerActivationImage }
  | { type: 'summary'; id: number; summary: ModelSummary }
  | { type: 'activationsDone'; id: number; result: ActivationJobResult }
  | { type: 'channel'; id: number; channel: ChannelDetail }
  | { type: 'failed'; id: number; failure: WorkerFailure };
