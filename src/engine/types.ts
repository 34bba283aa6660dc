// Plain data shared by the engine, the renderer, the worker, the CLI and (as types) the webview.

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** How 0–255 RGB pixels become the model's input (see engine/preprocess.ts). */
export type PreprocessMode = 'rescale' | 'none' | 'caffe' | 'tf' | 'torch';
export const PREPROCESS_MODES: readonly PreprocessMode[] = ['rescale', 'none', 'caffe', 'tf', 'torch'];

export type ColormapName = 'viridis' | 'magma' | 'inferno' | 'plasma' | 'gray' | 'jet';
export const COLORMAP_NAMES: readonly ColormapName[] = ['viridis', 'magma', 'inferno', 'plasma', 'gray', 'jet'];

/** A Keras-style shape: `null` for a free dimension (the batch). */
export type Shape = (number | null)[];

export interface LayerInfo {
  index: number;
  name: string;
  className: string;
  /** One shape, or one per output for layers with several outputs. */
  outputShape: Shape | Shape[];
  paramCount: number;
  trainableParamCount: number;
  /** True when the output is one 4-D (batch, height, width, channels) tensor: only those have channel grids. */
  hasSpatialOutput: boolean;
}

export interface ModelSummary {
  modelPath: string;
  modelName: string;
  /** Input shape without the batch dimension: [height, width, channels]. */
  inputShape: Shape;
  outputShape: Shape | Shape[];
  layers: LayerInfo[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** `none` when the model starts with a Rescaling layer, else `rescale` (the study notes' 1/255). */
  defaultPreprocess: PreprocessMode;
}

/** Statistics of one layer's activation for one input. */
export interface ActivationStats {
  min: number;
  max: number;
  mean: number;
  channelCount: number;
  /** Channels that are constant for this input (all zero after a ReLU): rendered flat. */
  deadChannelCount: number;
  deadFraction: number;
}

/** Where each channel's tile sits in a rendered grid image (tiles are packed with no gaps). */
export interface ChannelGridLayout {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  width: number;
  height: number;
}

export interface LayerActivationImage {
  layerIndex: number;
  layerName: string;
  className: string;
  /** The activation's shape as the model gives it, batch included: [1, h, w, c]. */
  shape: number[];
  stats: ActivationStats;
  grid: ChannelGridLayout;
  /** Indices of the channels rendered flat because they are constant. */
  deadChannels: number[];
  colormap: ColormapName;
  png: Uint8Array;
}

/** One channel enlarged, scaled from its own min to its max (the study notes' `matshow`). */
export interface ChannelDetail {
  layerIndex: number;
  layerName: string;
  channel: number;
  width: number;
  height: number;
  min: number;
  max: number;
  mean: number;
  dead: boolean;
  colormap: ColormapName;
  png: Uint8Array;
}

export interface ActivationTimings {
  loadModelMs: number;
  readImageMs: number;
  forwardMs: number;
  renderMs: number;
}

export interface ActivationRunInfo {
  backend: BackendName;
  modelPath: string;
  imagePath: string;
  preprocess: PreprocessMode;
  /** [height, width, channels] fed to the model. */
  inputSize: [number, number, number];
  layerIndices: number[];
  timings: ActivationTimings;
}
