// Entry point of the Convscope webviews: connects to VS Code, builds the view that the page's
// `<div id="app" data-view="activations|filters|gradcam|summary">` names (activations when absent),
// routes the host's messages to it and tells the host it is ready. One bundle serves all four panel
// kinds.
import type { HostToWebviewMessage, PanelViewKind } from '../src/shared/protocol';
import { ActivationsView } from './activationsView';
import { FilterPatternView } from './filterPatternView';
import { GradCamView } from './gradCamView';
import { ModelSummaryView } from './modelSummaryView';
import { DatasetView } from './datasetView';
import { viewKindOf, type WebviewView } from './view';
import { connectToHost, type HostConnection } from './vscodeApi';

const HOST_MESSAGE_TYPES: ReadonlySet<string> = new Set<HostToWebviewMessage['type']>([
  'session',
  'layer',
  'channel',
  'channelFailed',
  'channelStats',
  'filterSession',
  'filterTile',
  'gradCamSession',
  'gradCamResult',
  'gradCamMap',
  'status',
  'summary',
  'datasetSession',
  'datasetImages',
  'datasetSummary',
  'datasetExplanation',
]);

function isHostMessage(data: unknown): data is HostToWebviewMessage {
  return typeof data === 'object' && data !== null && HOST_MESSAGE_TYPES.has(String((data as { type?: unknown }).type));
}

function appRoot(): HTMLElement {
  const existing = document.getElementById('app');
  if (existing) return existing;
  const created = document.createElement('div');
  created.id = 'app';
  document.body.appendChild(created);
  return created;
}

function createView(kind: PanelViewKind, root: HTMLElement, host: HostConnection): WebviewView {
  switch (kind) {
    case 'filters':
      return new FilterPatternView(root, host);
    case 'gradcam':
      return new GradCamView(root, host);
    case 'summary':
      return new ModelSummaryView(root, host);
    case 'activations':
      return new ActivationsView(root, host);
    case 'dataset':
      return new DatasetView(root, host);
  }
}

const root = appRoot();
const host = connectToHost();
const view = createView(viewKindOf(root), root, host);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostMessage(event.data)) return;
  try {
    view.handleMessage(event.data);
  } catch (error) {
    console.error('Convscope: could not show a message from the extension', error);
  }
});

host.post({ type: 'ready' });
