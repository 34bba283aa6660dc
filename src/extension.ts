// Extension entry point: starts the engine worker lazily, registers the sidebar, the status bar
// item, the commands and the panel serializers, and returns an API that end-to-end tests drive.
import * as vscode from 'vscode';
import { EngineClient } from './host/engineClient';
import { ConvscopeHost } from './host/convscopeHost';
import { registerCommands } from './host/commands';
import { ACTIVATIONS_VIEW_TYPE, type ActivationsOutcome, type ActivationsTarget } from './host/panel/activationsPanel';
import { FILTER_PATTERNS_VIEW_TYPE } from './host/panel/filterPatternPanel';
import { GRAD_CAM_VIEW_TYPE } from './host/panel/gradCamPanel';
import { MODEL_SUMMARY_VIEW_TYPE } from './host/panel/modelSummaryPanel';
import { readSettings } from './host/settings';
import { ModelStatusBarItem } from './host/statusBar/modelStatusBarItem';
import { ModelTreeProvider } from './host/tree/modelTreeProvider';
import type { WebviewPersistedState } from './shared/protocol';

export interface ConvscopeApi {
  visualize(target: ActivationsTarget): Promise<ActivationsOutcome>;
  openModel(modelPath: string): Promise<unknown>;
  readonly host: ConvscopeHost;
}

export function activate(context: vscode.ExtensionContext): ConvscopeApi {
  const log = vscode.window.createOutputChannel('Convscope', { log: true });
  const settings = readSettings();
  const engine = new EngineClient({
    workerPath: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath,
    wasmDirectory: vscode.Uri.joinPath(context.extensionUri, 'dist', 'wasm').fsPath,
    backend: settings.backend,
    // Native code (tfjs-node) is loaded only in trusted workspaces.
    allowNative: vscode.workspace.isTrusted,
    log: (line) => log.info(line),
  });
  const host = new ConvscopeHost(context, engine, log);
  const tree = new ModelTreeProvider(host.treeModel);
  const statusBar = new ModelStatusBarItem(host.treeModel, engine, () => host.recentModels, host.onDidUseModel);
  const applyBackend = (allowNative: boolean) => void engine.setBackend(readSettings().backend, allowNative).then(() => statusBar.refreshBackend());

  context.subscriptions.push(
    log,
    host,
    tree,
    statusBar,
    { dispose: () => void engine.dispose() },
    vscode.window.createTreeView('convscope.models', { treeDataProvider: tree, showCollapseAll: true }),
    ...registerCommands(host, context.extensionUri.fsPath),
    ...[ACTIVATIONS_VIEW_TYPE, FILTER_PATTERNS_VIEW_TYPE, GRAD_CAM_VIEW_TYPE, MODEL_SUMMARY_VIEW_TYPE].map((viewType) =>
      vscode.window.registerWebviewPanelSerializer(viewType, {
        deserializeWebviewPanel: (panel, state: WebviewPersistedState | undefined) => host.revivePanel(panel, state),
      }),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('convscope.backend')) applyBackend(vscode.workspace.isTrusted);
      host.rerunPanelsAffectedBy(event);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => applyBackend(true)),
  );

  return {
    host,
    visualize: (target) => host.visualize(target),
    openModel: (modelPath) => host.openModel(modelPath),
  };
}

export function deactivate(): void {}
