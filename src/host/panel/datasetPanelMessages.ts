// The Explain Folder panel's own webview messages, checked field by field (see panelMessages.ts).
import { isExplainMethod } from '../../shared/camMethods';
import type { WebviewToHostMessage } from '../../shared/protocol';

/** Longer paths are not paths of a dataset's images. */
const MAX_RELATIVE_PATH_LENGTH = 4096;

/** A path below the dataset folder as the panel was sent it: relative, '/'-separated, never leaving the folder. */
export function isDatasetRelativePath(value: unknown): value is string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_RELATIVE_PATH_LENGTH) return false;
  if (value.startsWith('/') || value.includes('\\') || value.includes('\0') || /^[a-zA-Z]:/.test(value)) return false;
  return value.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export function parseDatasetMessage(record: Record<string, unknown>): WebviewToHostMessage | undefined {
  switch (record.type) {
    case 'explainDatasetImage': {
      const { requestId, relativePath, method } = record;
      const validId = typeof requestId === 'number' && Number.isInteger(requestId) && requestId >= 0;
      return validId && isDatasetRelativePath(relativePath) && isExplainMethod(method) ? { type: 'explainDatasetImage', requestId, relativePath, method } : undefined;
    }
    case 'openDatasetImage':
      return isDatasetRelativePath(record.relativePath) ? { type: 'openDatasetImage', relativePath: record.relativePath } : undefined;
    case 'changeDatasetMapping':
      return { type: 'changeDatasetMapping' };
    case 'chooseDatasetFolder':
      return { type: 'chooseDatasetFolder' };
    default:
      return undefined;
  }
}

export type DatasetAction =
  | { action: 'explainImage'; requestId: number; relativePath: string; method: MessageOf<'explainDatasetImage'>['method'] }
  | { action: 'openImage'; relativePath: string }
  | { action: 'changeMapping' }
  | { action: 'chooseFolder' };

type MessageOf<T extends WebviewToHostMessage['type']> = Extract<WebviewToHostMessage, { type: T }>;

/** The Explain Folder panel's action for a message; undefined for another panel kind's message. */
export function datasetActionFor(message: WebviewToHostMessage): DatasetAction | undefined {
  switch (message.type) {
    case 'explainDatasetImage':
      return { action: 'explainImage', requestId: message.requestId, relativePath: message.relativePath, method: message.method };
    case 'openDatasetImage':
      return { action: 'openImage', relativePath: message.relativePath };
    case 'changeDatasetMapping':
      return { action: 'changeMapping' };
    case 'chooseDatasetFolder':
      return { action: 'chooseFolder' };
    default:
      return undefined;
  }
}
