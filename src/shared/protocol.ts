// Messages between the extension host and the visualization webview. Both sides import this file;
// it holds types only, so the webview bundle gets no host code from it.
import type {
  ActivationRunInfo,
  ChannelDetail,
  ColormapName,
  LayerActivationImage,
  LayerInfo,
  PreprocessMode,
} from '../engine/types';

/** What the panel is showing: sent first for every run, and again when a hidden panel is shown. */
export interface PanelSession {
  runId: number;
  modelPath: string;
  modelName: string;
  imagePath: string;
  /** The image as the user chose it, for the header (a small PNG thumbnail). */
  imageThumbnail?: Uint8Array;
  preprocess: PreprocessMode;
  colormap: ColormapName;
  imagesPerRow: number;
  /** The layers this run renders, in order; their grids arrive one `layer` message at a time. */
  layers: LayerInfo[];
}

export type RunStatus =
  | { state: 'running'; done: number; total: number; message: string }
  | { state: 'finished'; info: ActivationRunInfo }
  | { state: 'cancelled'; done: number; total: number }
  | { state: 'failed'; message: string };

export type HostToWebviewMessage =
  | { type: 'session'; session: PanelSession }
  | { type: 'layer'; runId: number; layer: LayerActivationImage }
  | { type: 'status'; runId: number; status: RunStatus }
  | { type: 'channel'; requestId: number; channel: ChannelDetail }
  | { type: 'channelFailed'; requestId: number; message: string };

export type WebviewToHostMessage =
  /** The webview has loaded its script and can receive messages (sent again after each reload). */
  | { type: 'ready' }
  | { type: 'requestChannel'; requestId: number; runId: number; layerIndex: number; channel: number }
  | { type: 'cancelRun'; runId: number }
  /** Toolbar actions that the host answers with its own pickers. */
  | { type: 'chooseImage' }
  | { type: 'chooseLayers' }
  | { type: 'setPreprocess'; preprocess: PreprocessMode };

/** What `vscode.setState` keeps in the webview so a reload can tell the host what it showed. */
export interface WebviewPersistedState {
  modelPath: string;
  imagePath: string;
}
