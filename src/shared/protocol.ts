// Messages between the extension host and the visualization webviews. Both sides import this file;
// it holds types only, so the webview bundle gets no host code from it. One webview bundle serves
// four panel kinds (activations, filter patterns, Grad-CAM, model summary); the HTML's `data-view`
// says which.
import type {
  BackendName,
  ChannelDetail,
  ColormapName,
  FilterGridLayout,
  FilterPatternImage,
  FilterPatternParameters,
  FilterPatternPreset,
  GradCamLayerChoice,
  GradCamRunInfo,
  GradCamScore,
  LayerActivationImage,
  LayerInfo,
  ModelSummary,
  PreprocessMode,
} from './types';

export type PanelViewKind = 'activations' | 'filters' | 'gradcam' | 'summary';

/** An image's bytes and media type, for an `<img>` in the webview or an image handed to the host. */
export interface ImageBytes {
  bytes: Uint8Array;
  /** `image/png`, `image/jpeg`, … */
  mimeType: string;
}

/** What the activations panel is showing: sent first for every run, and again when a hidden panel is shown. */
export interface PanelSession {
  runId: number;
  modelPath: string;
  modelName: string;
  imagePath: string;
  /** The image as the user chose it, for the header (a small thumbnail). */
  imageThumbnail?: ImageBytes;
  preprocess: PreprocessMode;
  /** Why this preprocessing: chosen in the panel, the setting, or what the model's files say. */
  preprocessReason: string;
  colormap: ColormapName;
  imagesPerRow: number;
  /** The layers this run renders, in order; their grids arrive one `layer` message at a time. */
  layers: LayerInfo[];
}

/** A filter-pattern run: the tiles of `filters` arrive one `filterTile` message at a time. */
export interface FilterPanelSession {
  runId: number;
  modelPath: string;
  modelName: string;
  layerIndex: number;
  layerName: string;
  /** Filters the layer has, and the ones this run shows, in tile order. */
  filterCount: number;
  filters: number[];
  grid: FilterGridLayout;
  parameters: FilterPatternParameters;
  preprocess: PreprocessMode;
}

/** A Grad-CAM run, before its result arrives. */
export interface GradCamPanelSession {
  runId: number;
  modelPath: string;
  modelName: string;
  imagePath: string;
  imageThumbnail?: ImageBytes;
  preprocess: PreprocessMode;
  preprocessReason: string;
  /** Layers with a 4-D output the heatmap can be computed at. */
  layerChoices: GradCamLayerChoice[];
  intensity: number;
  colormap: ColormapName;
  score: GradCamScore;
}

export interface GradCamResultView {
  info: GradCamRunInfo;
  /** The class heatmap at the layer's resolution (the study notes' matshow). */
  heatmapPng: Uint8Array;
  /** The heatmap over the original image at its own resolution. */
  overlayPng: Uint8Array;
}

/** One channel's statistics for the grid's tooltip (the enlarged channel's numbers, without its image). */
export interface ChannelStats {
  layerIndex: number;
  channel: number;
  min: number;
  max: number;
  mean: number;
  dead: boolean;
}

export interface TimingEntry {
  label: string;
  ms: number;
}

export type RunStatus =
  /** `unit` names what `done` and `total` count: 'layers', 'steps', … */
  | { state: 'running'; done: number; total: number; unit: string; message: string }
  | { state: 'finished'; backend: BackendName; timings: TimingEntry[]; details: string[] }
  | { state: 'cancelled'; done: number; total: number; unit: string }
  | { state: 'failed'; message: string };

export type HostToWebviewMessage =
  | { type: 'session'; session: PanelSession }
  | { type: 'layer'; runId: number; layer: LayerActivationImage }
  | { type: 'channel'; requestId: number; channel: ChannelDetail }
  | { type: 'channelFailed'; requestId: number; message: string }
  | { type: 'channelStats'; requestId: number; stats: ChannelStats }
  | { type: 'filterSession'; session: FilterPanelSession }
  | { type: 'filterTile'; runId: number; tile: FilterPatternImage }
  | { type: 'gradCamSession'; session: GradCamPanelSession }
  | { type: 'gradCamResult'; runId: number; result: GradCamResultView }
  | { type: 'status'; runId: number; status: RunStatus }
  /** The model summary panel's table (the study notes' `model.summary()`). */
  | { type: 'summary'; runId: number; summary: ModelSummary };

export type WebviewToHostMessage =
  /** The webview has loaded its script and can receive messages (sent again after each reload). */
  | { type: 'ready' }
  | { type: 'cancelRun'; runId: number }
  // Panels that run on an image (activations, Grad-CAM): another image from the picker, a dropped
  // file's URI, or the bytes of a pasted or dropped image (kept in the extension's storage).
  | { type: 'chooseImage' }
  | { type: 'useImageFile'; uri: string }
  | { type: 'useImageBytes'; name: string; image: ImageBytes }
  // Activations panel
  | { type: 'requestChannel'; requestId: number; runId: number; layerIndex: number; channel: number }
  /** The tooltip's numbers for a channel: answered with `channelStats`. */
  | { type: 'requestChannelStats'; requestId: number; runId: number; layerIndex: number; channel: number }
  | { type: 'chooseLayers' }
  | { type: 'setPreprocess'; preprocess: PreprocessMode }
  /** Re-run with this colormap, remembered for the model (over the `convscope.colormap` setting). */
  | { type: 'setColormap'; colormap: ColormapName }
  /** Save each shown layer's grid as a PNG in a folder the user picks. */
  | { type: 'exportActivations' }
  // Filter-pattern panel
  | { type: 'setFilterPreset'; preset: FilterPatternPreset }
  | { type: 'exportFilterGrid' }
  // Grad-CAM panel: any field left out keeps its current value
  | { type: 'explain'; targetClass?: number | string; layer?: string; intensity?: number; colormap?: ColormapName; score?: GradCamScore }
  | { type: 'exportGradCam' };

/** What `vscode.setState` keeps in the webview so a reload can tell the host what it showed. */
export type WebviewPersistedState =
  | { view: 'activations'; modelPath: string; imagePath: string }
  | { view: 'filters'; modelPath: string; layerName: string; preset: FilterPatternPreset }
  | { view: 'gradcam'; modelPath: string; imagePath: string; targetClass?: number; layer?: string }
  | { view: 'summary'; modelPath: string };
