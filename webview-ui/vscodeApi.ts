// The webview's handle on VS Code: typed messages to the host and the persisted state that lets the
// host's serializer restore the panel after a reload.
import type { WebviewPersistedState, WebviewToHostMessage } from '../src/shared/protocol';

interface RawVsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

/** Provided by VS Code inside webviews; may be called only once per page. */
declare const acquireVsCodeApi: (() => RawVsCodeApi) | undefined;

export interface HostConnection {
  post(message: WebviewToHostMessage): void;
  getState(): WebviewPersistedState | undefined;
  setState(state: WebviewPersistedState): void;
}

/** Acquires the VS Code API once; outside VS Code (a plain browser) messages go nowhere. */
export function connectToHost(): HostConnection {
  const api: RawVsCodeApi =
    typeof acquireVsCodeApi === 'function'
      ? acquireVsCodeApi()
      : { postMessage: () => undefined, getState: () => undefined, setState: (state) => state };
  return {
    post: (message) => api.postMessage(message),
    getState: () => asPersistedState(api.getState()),
    setState: (state) => {
      api.setState(state);
    },
  };
}

/**
 * Checks a state VS Code kept before a reload. A state without `view` was written by the activations
 * panel before there were other panel kinds, and is read as one.
 */
function asPersistedState(value: unknown): WebviewPersistedState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { view, modelPath } = record;
  if (typeof modelPath !== 'string') return undefined;
  switch (view ?? 'activations') {
    case 'activations':
      return typeof record.imagePath === 'string' ? { view: 'activations', modelPath, imagePath: record.imagePath } : undefined;
    case 'filters': {
      const { layerName, preset } = record;
      if (typeof layerName !== 'string' || (preset !== 'chollet' && preset !== 'clear')) return undefined;
      return { view: 'filters', modelPath, layerName, preset };
    }
    case 'gradcam': {
      const { imagePath, targetClass, layer } = record;
      if (typeof imagePath !== 'string') return undefined;
      return {
        view: 'gradcam',
        modelPath,
        imagePath,
        ...(typeof targetClass === 'number' && Number.isInteger(targetClass) && targetClass >= 0 ? { targetClass } : {}),
        ...(typeof layer === 'string' ? { layer } : {}),
      };
    }
    case 'summary':
      return { view: 'summary', modelPath };
    case 'dataset':
      return typeof record.folder === 'string' ? { view: 'dataset', modelPath, folder: record.folder } : undefined;
    default:
      return undefined;
  }
}
