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
import type { WebviewToHostMessage } from '../../shared/protocol';

type MessageOf<T extends WebviewToHostMessage['type']> = Extract<WebviewToHostMessage, { type: T }>;
type ExplainMessage = MessageOf<'explain'>;

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
const BARE_TYPES = ['ready', 'chooseImage', 'chooseLayers', 'exportActivations', 'exportFilterGrid', 'exportGradCam'] as const;

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
    case 'requestChannel': {
      const { requestId, runId, layerIndex, channel } = record;
      return isIndex(requestId) && isIndex(runId) && isIndex(layerIndex) && isIndex(channel) ? { type, requestId, runId, layerIndex, channel } : undefined;
    }
    case 'setPreprocess':
      return isPreprocess(record.preprocess) ? { type, preprocess: record.preprocess } : undefined;
    case 'setColormap':
      return isColormap(record.colormap) ? { type, colormap: record.colormap } : undefined;
    case 'setFilterPreset':
      return isPreset(record.preset) ? { type, preset: record.preset } : undefined;
    case 'explain':
      return parseExplain(record);
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

export type ActivationsAction =
  | { action: 'sendChannel'; requestId: number; runId: number; layerIndex: number; channel: number }
  | { action: 'chooseImage' }
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
    case 'chooseImage':
    case 'chooseLayers':
      return { action: message.type };
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

export type FilterPatternAction = { action: 'rerun'; change: { preset: FilterPatternPreset } } | { action: 'export' };

export function filterPatternActionFor(message: WebviewToHostMessage): FilterPatternAction | undefined {
  if (message.type === 'setFilterPreset') return { action: 'rerun', change: { preset: message.preset } };
  if (message.type === 'exportFilterGrid') return { action: 'export' };
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
