// A stand-in for the parts of the `vscode` module a run panel uses (src/host/panel/runPanel.ts):
// events, URIs, progress notifications and a webview panel whose posted messages are kept. Merged
// into the settings stand-in (fakeVscode.ts) when that one is registered already, so both serve.
import Module from 'node:module';
import path from 'node:path';

export class FakeEventEmitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event = (listener: (value: T) => void) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }

  dispose(): void {
    this.listeners.clear();
  }
}

interface FakeUri {
  fsPath: string;
  toString(): string;
}

const uriOf = (fsPath: string): FakeUri => ({ fsPath, toString: () => `file://${fsPath}` });

/** What the progress notifications were told, newest last. */
export const progressReports: Array<{ message?: string; increment?: number }> = [];
export const errorMessages: string[] = [];

const panelParts = {
  EventEmitter: FakeEventEmitter,
  ProgressLocation: { Notification: 15, Window: 10 },
  Uri: { file: uriOf, joinPath: (base: FakeUri, ...parts: string[]) => uriOf(path.join(base.fsPath, ...parts)) },
  window: {
    withProgress: async <T>(_options: unknown, task: (progress: { report(value: { message?: string; increment?: number }): void }, token: unknown) => Promise<T>) => {
      const cancel = new FakeEventEmitter<void>();
      return task({ report: (value) => progressReports.push(value) }, { isCancellationRequested: false, onCancellationRequested: cancel.event });
    },
    showErrorMessage: async (message: string) => {
      errorMessages.push(message);
      return undefined;
    },
  },
};

type ModuleInternals = { _resolveFilename(request: string, ...rest: unknown[]): string };
const cached = require.cache.vscode;
if (cached) Object.assign(cached.exports as object, panelParts);
else {
  const internals = Module as unknown as ModuleInternals;
  const resolveFilename = internals._resolveFilename;
  internals._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : resolveFilename.call(this, request, ...rest);
  };
  require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: panelParts } as NodeJS.Module;
}

/** A webview panel that keeps what is posted to it and lets a test send what its view would. */
export function fakeWebviewPanel() {
  const posted: unknown[] = [];
  const received = new FakeEventEmitter<unknown>();
  const disposed = new FakeEventEmitter<void>();
  const panel = {
    title: '',
    iconPath: undefined as unknown,
    webview: {
      options: {},
      html: '',
      cspSource: 'fake-csp-source',
      asWebviewUri: (uri: FakeUri) => uri,
      postMessage: async (message: unknown) => {
        posted.push(message);
        return true;
      },
      onDidReceiveMessage: received.event,
    },
    onDidDispose: disposed.event,
    reveal: () => {},
    dispose: () => disposed.fire(),
  };
  return { panel, posted, fromView: (message: unknown) => received.fire(message) };
}
