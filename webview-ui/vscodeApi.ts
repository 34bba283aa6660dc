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

function asPersistedState(value: unknown): WebviewPersistedState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { modelPath, imagePath } = value as Record<string, unknown>;
  if (typeof modelPath !== 'string' || typeof imagePath !== 'string') return undefined;
  return { modelPath, imagePath };
}
