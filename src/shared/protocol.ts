// Messages between the extension host and the visualization webviews. Both sides import this file;
// it holds types only, so the webview bundle gets no host code from it. One webview bundle serves
// four panel kinds (activations, filter patterns, Grad-CAM, model summary); the HTML's `data-view`
// says which.
import type {
  BackendName,
  CamMapInfo,
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
import type { ExplainMethod } from './camMethods';
import type { DatasetImageResult, DatasetLabelMapping, DatasetRunSummary, DatasetSkippedImage } from './types';

export type PanelViewKind = 'activations' | 'filters' | 'gradcam' | 'summary' | 'dataset';

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
  /** Where the example crops beside each pattern come from (a folder, or the workspace's images), and how many images; absent when none are searched. */
  exampleSource?: { description: string; imageCount: number };
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
  /** The methods mapped, side by side (the first is the main map); absent: Grad-CAM alone. */
  methods?: ExplainMethod[];
  /** Each map's faithfulness is measured. */
  faithfulness?: boolean;
  /** Layers and classes mapped beside the main one. */
  compareLayers?: string[];
  compareClasses?: (number | string)[];
}

export interface GradCamResultView {
  info: GradCamRunInfo;
  /** The class heatmap at the layer's resolution (the study notes' matshow). */
  heatmapPng: Uint8Array;
  /** The heatmap over the original image at its own resolution. */
  overlayPng: Uint8Array;
  /** Every map side by side, the one above first; absent or one entry: one map. */
  maps?: CamMapView[];
}

/** One map of a run: its heatmap and its overlay on the image. */
export interface CamMapView {
  info: CamMapInfo;
  heatmapPng: Uint8Array;
  overlayPng: Uint8Array;
}

/** An Explain Folder run: its images arrive a batch at a time (`datasetImages`), then `datasetSummary`. */
export interface DatasetPanelSession {
  runId: number;
  modelPath: string;
  modelName: string;
  folder: string;
  classNames: string[];
  classFolders: string[];
  mapping: DatasetLabelMapping;
  imageCount: number;
  /** Thumbnails and heatmaps are files in the run's cache folder, shown from `${imageBase}/${name}`. */
  imageBase: string;
}

/** The map asked for one image of a dataset run (`explainDatasetImage`), or why there is none. */
export interface DatasetImageExplanation {
  requestId: number;
  relativePath: string;
  method: ExplainMethod;
  overlayPng?: Uint8Array;
  /** What the map shows: the method, class and layer. */
  caption?: string;
  message?: string;
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
  | { state: 'failed'; message: string }
  /** The run's engine job is queued behind another: `behind` names it ("the filter grid of conv2d_3 (shapes/model.json)"). */
  | { state: 'waiting'; behind: string };

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
  /** A map of a run with several, as soon as it is computed (the result follows with all of them). */
  | { type: 'gradCamMap'; runId: number; index: number; total: number; map: CamMapView }
  | { type: 'status'; runId: number; status: RunStatus }
  /** The model summary panel's table (the study notes' `model.summary()`). */
  | { type: 'summary'; runId: number; summary: ModelSummary }
  // Explain Folder panel
  | { type: 'datasetSession'; session: DatasetPanelSession }
  | { type: 'datasetImages'; runId: number; images: DatasetImageResult[]; skipped: DatasetSkippedImage[] }
  | { type: 'datasetSummary'; runId: number; summary: DatasetRunSummary }
  | { type: 'datasetExplanation'; explanation: DatasetImageExplanation };

/** What the Explain Prediction panel explains and how; each field left out means its default (or, in a message, the current value). */
export interface ExplainChoices {
  /** Omitted: the top prediction. */
  targetClass?: number | string;
  /** Omitted: the last convolution (with its BatchNorm / Activation). */
  layer?: string;
  intensity?: number;
  colormap?: ColormapName;
  score?: GradCamScore;
  /** Omitted: Grad-CAM alone; several are mapped side by side. */
  methods?: ExplainMethod[];
  /** Measure each map's faithfulness too. */
  faithfulness?: boolean;
  /** Layers and classes mapped beside the main one. */
  compareLayers?: string[];
  compareClasses?: (number | string)[];
}

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
  /** Pick the folder whose images show what excites each filter (instead of the workspace's). */
  | { type: 'chooseFilterExampleFolder' }
  // Grad-CAM panel: any field left out keeps its current value
  | ({ type: 'explain' } & ExplainChoices)
  | { type: 'exportGradCam' }
  // Explain Folder panel: a map of one image (beside the gallery), that image in the Explain
  // Prediction panel, the folders' classes chosen again.
  | { type: 'explainDatasetImage'; requestId: number; relativePath: string; method: ExplainMethod }
  | { type: 'openDatasetImage'; relativePath: string }
  | { type: 'changeDatasetMapping' }
  /** Explain another folder, picked in a dialog. */
  | { type: 'chooseDatasetFolder' };

/** What `vscode.setState` keeps in the webview so a reload can tell the host what it showed. */
export type WebviewPersistedState =
  | { view: 'activations'; modelPath: string; imagePath: string }
  | { view: 'filters'; modelPath: string; layerName: string; preset: FilterPatternPreset }
  | { view: 'gradcam'; modelPath: string; imagePath: string; targetClass?: number; layer?: string }
  | { view: 'summary'; modelPath: string }
  | { view: 'dataset'; modelPath: string; folder: string };
