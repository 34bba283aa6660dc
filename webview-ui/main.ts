// Entry point of the visualization panel's webview: connects to VS Code, builds the panel, routes
// the host's messages to it and tells the host it is ready.
import type { HostToWebviewMessage } from '../src/shared/protocol';
import { PanelView } from './panelView';
import { connectToHost } from './vscodeApi';

const HOST_MESSAGE_TYPES: ReadonlySet<string> = new Set<HostToWebviewMessage['type']>(['session', 'layer', 'status', 'channel', 'channelFailed']);

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

const host = connectToHost();
const view = new PanelView(appRoot(), host);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostMessage(event.data)) return;
  try {
    view.handleMessage(event.data);
  } catch (error) {
    console.error('Convscope: could not show a message from the extension', error);
  }
});

host.post({ type: 'ready' });
