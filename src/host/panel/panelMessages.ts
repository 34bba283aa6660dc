// Which action a webview's message asks of its panel, decided without VS Code so it is tested under
// plain mocha. Messages come from the panel's script: each is checked field by field against the
// protocol and rebuilt from the fields it names; one that does not fit is refused as a whole.
import {
  COLORMAP_NAMES,
  FILTER_PATTERN_PRESETS,
  GRAD_CAM_SCORES,
  PREPROCESS_MODES,
  type ColormapName,
  type FilterPatternPreset,
  type GradCamScore,
  type PreprocessMode,
} from '../../shared/types';
import type { ImageBytes, WebviewToHostMessage } from '../../shared/protocol';
import { parseDatasetMessage } from './datasetPanelMessages';

type MessageOf<T extends WebviewToHostMessage['type']> = Extract<WebviewToHostMessage, { type: T }>;
type ExplainMessage = MessageOf<'explain'>;

/** Longer dropped URIs and file names are not real ones. */
const MAX_URI_LENGTH = 8192;
const MAX_FILE_NAME_LENGTH = 1024;
/** Pasted images bigger than this are refused before their bytes are copied (see imageFiles.ts). */
const MAX_IMAGE_MESSAGE_BYTES = 64 * 2 ** 20;

const isIndex = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;
const oneOf =
  <T extends string>(allowed: readonly T[]) =>
  (value: unknown): value is T =>
    typeof value === 'string' && (allowed as readonly string[]).includes(value);
const isPreprocess = oneOf<PreprocessMode>(PREPROCESS_MODES);
const isColormap = oneOf<ColormapName>(COLORMAP_NAMES);
const isPreset = oneOf<FilterPatternPreset>(FILTER_PATTERN_PRESETS);
const isScore = oneOf<GradCamScore>(GRAD_CAM_SCORES);

/** Messages that carry nothing but their type. */
const BARE_TYPES = ['ready', 'chooseImage', 'chooseLayers', 'exportActivations', 'exportFilterGrid', 'chooseFilterExampleFolder', 'exportGradCam'] as const;

/**
 * Bytes as the webview sent them: VS Code passes a Uint8Array (or its ArrayBuffer); a plain array
 * or a JSON-serialized typed array (`{"0": 137, …}`) is read too. Anything else, or a value that is
 * not a byte, refuses the message.
 */
function parseBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  const entries = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.values(value) : undefined;
  if (!entries || entries.length > MAX_IMAGE_MESSAGE_BYTES) return undefined;
  if (!entries.every((entry) => Number.isInteger(entry) && entry >= 0 && entry <= 255)) return undefined;
  return Uint8Array.from(entries as number[]);
}

function parseImageBytes(value: unknown): ImageBytes | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { bytes, mimeType } = value as Record<string, unknown>;
  if (typeof mimeType !== 'string' || !/^image\/[\w.+-]+$/.test(mimeType)) return undefined;
  const parsed = parseBytes(bytes);
  return parsed && parsed.byteLength <= MAX_IMAGE_MESSAGE_BYTES ? { bytes: parsed, mimeType } : undefined;
}

/** A channel request's fields (requestChannel, requestChannelStats), all indices. */
function parseChannelRequest(record: Record<string, unknown>): { requestId: number; runId: number; layerIndex: number; channel: number } | undefined {
  const { requestId, runId, layerIndex, channel } = record;
  return isIndex(requestId) && isIndex(runId) && isIndex(layerIndex) && isIndex(channel) ? { requestId, runId, layerIndex, channel } : undefined;
}

function parseExplain(record: Record<string, unknown>): ExplainMessage | undefined {
  const { targetClass, layer, intensity, colormap, score } = record;
  const message: ExplainMessage = { type: 'explain' };
  if (targetClass !== undefined) {
    if (!isIndex(targetClass) && !(typeof targetClass === 'string' && targetClass.trim() !== '')) return undefined;
    message.targetClass = targetClass;
  }
  if (layer !== undefined) {
    if (typeof layer !== 'string' || layer === '') return undefined;
    message.layer = layer;
  }
  if (intensity !== undefined) {
    if (typeof intensity !== 'number' || !(intensity >= 0 && intensity <= 1)) return undefined;
    message.intensity = intensity;
  }
  if (colormap !== undefined) {
    if (!isColormap(colormap)) return undefined;
    message.colormap = colormap;
  }
  if (score !== undefined) {
    if (!isScore(score)) return undefined;
    message.score = score;
  }
  return message;
}

/** The message as the protocol defines it, or undefined when `data` is not one. */
export function parseWebviewMessage(data: unknown): WebviewToHostMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as Record<string, unknown>;
  const type = record.type;
  if ((BARE_TYPES as readonly unknown[]).includes(type)) return { type } as WebviewToHostMessage;
  switch (type) {
    case 'cancelRun':
      return isIndex(record.runId) ? { type, runId: record.runId } : undefined;
    case 'requestChannel':
    case 'requestChannelStats': {
      const request = parseChannelRequest(record);
      return request && { type, ...request };
    }
    case 'useImageFile':
      return typeof record.uri === 'string' && record.uri.trim() !== '' && record.uri.length <= MAX_URI_LENGTH ? { type, uri: record.uri } : undefined;
    case 'useImageBytes': {
      const image = parseImageBytes(record.image);
      const name = record.name;
      return image && typeof name === 'string' && name.length <= MAX_FILE_NAME_LENGTH ? { type, name, image } : undefined;
    }
    case 'setPreprocess':
      return isPreprocess(record.preprocess) ? { type, preprocess: record.preprocess } : undefined;
    case 'setColormap':
      return isColormap(record.colormap) ? { type, colormap: record.colormap } : undefined;
    case 'setFilterPreset':
      return isPreset(record.preset) ? { type, preset: record.preset } : undefined;
    case 'explain':
      return parseExplain(record);
    case 'explainDatasetImage':
    case 'openDatasetImage':
    case 'changeDatasetMapping':
    case 'chooseDatasetFolder':
      return parseDatasetMessage(record);
    default:
      return undefined;
  }
}

/** What every run panel does with a message before its own kind sees it. */
export type RunPanelRoute =
  /** `ready`: send the latest run's messages again (a shown or reloaded webview). */
  | { route: 'replaySnapshot' }
  | { route: 'cancelRun' }
  | { route: 'toView'; message: WebviewToHostMessage }
  | { route: 'ignore'; reason: string };

export function routeRunPanelMessage(data: unknown, currentRunId: number): RunPanelRoute {
  const message = parseWebviewMessage(data);
  if (!message) return { route: 'ignore', reason: `not a Convscope message: ${describeType(data)}` };
  if (message.type === 'ready') return { route: 'replaySnapshot' };
  if (message.type === 'cancelRun') {
    return message.runId === currentRunId ? { route: 'cancelRun' } : { route: 'ignore', reason: `cancel of run ${message.runId}, which is no longer current` };
  }
  return { route: 'toView', message };
}

function describeType(data: unknown): string {
  const type = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof data;
}

/** What the panels that run on an image do with an image message. */
export type ImageAction = { action: 'pick' } | { action: 'file'; uri: string } | { action: 'bytes'; name: string; image: ImageBytes };

export function imageActionFor(message: WebviewToHostMessage): ImageAction | undefined {
  switch (message.type) {
    case 'chooseImage':
      return { action: 'pick' };
    case 'useImageFile':
      return { action: 'file', uri: message.uri };
    case 'useImageBytes':
      return { action: 'bytes', name: message.name, image: message.image };
    default:
      return undefined;
  }
}

type ChannelRequest = { requestId: number; runId: number; layerIndex: number; channel: number };

export type ActivationsAction =
  | ({ action: 'sendChannel' } & ChannelRequest)
  | ({ action: 'sendChannelStats' } & ChannelRequest)
  | { action: 'chooseLayers' }
  /** Run again with this change, and remember it for the model. */
  | { action: 'rerunRemembering'; change: { preprocess: PreprocessMode } | { colormap: ColormapName } }
  | { action: 'export' };

/** The activations panel's action for a message; undefined for another panel kind's message. */
export function activationsActionFor(message: WebviewToHostMessage): ActivationsAction | undefined {
  switch (message.type) {
    case 'requestChannel': {
      const { type: _type, ...request } = message;
      return { action: 'sendChannel', ...request };
    }
    case 'requestChannelStats': {
      const { type: _type, ...request } = message;
      return { action: 'sendChannelStats', ...request };
    }
    case 'chooseLayers':
      return { action: 'chooseLayers' };
    case 'setPreprocess':
      return { action: 'rerunRemembering', change: { preprocess: message.preprocess } };
    case 'setColormap':
      return { action: 'rerunRemembering', change: { colormap: message.colormap } };
    case 'exportActivations':
      return { action: 'export' };
    default:
      return undefined;
  }
}

export type FilterPatternAction = { action: 'rerun'; change: { preset: FilterPatternPreset } } | { action: 'export' } | { action: 'chooseExampleFolder' };

export function filterPatternActionFor(message: WebviewToHostMessage): FilterPatternAction | undefined {
  if (message.type === 'setFilterPreset') return { action: 'rerun', change: { preset: message.preset } };
  if (message.type === 'exportFilterGrid') return { action: 'export' };
  if (message.type === 'chooseFilterExampleFolder') return { action: 'chooseExampleFolder' };
  return undefined;
}

export type GradCamChange = Omit<ExplainMessage, 'type'>;
export type GradCamAction = { action: 'rerun'; change: GradCamChange } | { action: 'export' };

export function gradCamActionFor(message: WebviewToHostMessage): GradCamAction | undefined {
  if (message.type === 'explain') {
    const { type: _type, ...change } = message;
    return { action: 'rerun', change };
  }
  if (message.type === 'exportGradCam') return { action: 'export' };
  return undefined;
}
