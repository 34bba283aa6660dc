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
import { DATASET_VIEW_TYPE } from './host/panel/datasetPanel';
import { withSafeLines } from './host/safeLog';
import { readSettings } from './host/settings';
import { ModelStatusBarItem } from './host/statusBar/modelStatusBarItem';
import type { ModelTreeNode } from './host/tree/modelTreeModel';
import { ModelTreeProvider } from './host/tree/modelTreeProvider';
import type { WebviewPersistedState } from './shared/protocol';

export interface ConvscopeApi {
  visualize(target: ActivationsTarget): Promise<ActivationsOutcome>;
  openModel(modelPath: string): Promise<unknown>;
  readonly host: ConvscopeHost;
}

export function activate(context: vscode.ExtensionContext): ConvscopeApi {
  const activationStarted = performance.now();
  const log = withSafeLines(vscode.window.createOutputChannel('Convscope', { log: true }));
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
  const treeView = vscode.window.createTreeView('convscope.models', { treeDataProvider: tree, showCollapseAll: true });
  const statusBar = new ModelStatusBarItem(host.treeModel, engine, () => host.recentModels, host.onDidUseModel);
  const applyBackend = (allowNative: boolean) => void engine.setBackend(readSettings().backend, allowNative).then(() => statusBar.refreshBackend());

  context.subscriptions.push(
    log,
    host,
    tree,
    statusBar,
    { dispose: () => void engine.dispose() },
    treeView,
    revealFocusedModel(host, treeView),
    ...registerCommands(host, context.extensionUri.fsPath),
    ...[ACTIVATIONS_VIEW_TYPE, FILTER_PATTERNS_VIEW_TYPE, GRAD_CAM_VIEW_TYPE, MODEL_SUMMARY_VIEW_TYPE, DATASET_VIEW_TYPE].map((viewType) =>
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

  // Both times are read by the end-to-end tests from the output channel's log file.
  const sinceActivation = () => `${Math.round(performance.now() - activationStarted)} ms`;
  log.info(`Activated in ${sinceActivation()}.`);
  const firstModelWatch = host.treeModel.onDidChange(() => {
    if (!host.treeModel.roots().some((node) => node.kind === 'model' && node.model.state === 'loaded')) return;
    log.info(`First model in the sidebar ${sinceActivation()} after activation.`);
    firstModelWatch.dispose();
  });
  context.subscriptions.push(firstModelWatch);

  return {
    host,
    visualize: (target) => host.visualize(target),
    openModel: (modelPath) => host.openModel(modelPath),
  };
}

/** Selects the model in front in the sidebar when it changes, if the sidebar is showing. */
function revealFocusedModel(host: ConvscopeHost, treeView: vscode.TreeView<ModelTreeNode>): vscode.Disposable {
  let revealed: string | undefined;
  return host.treeModel.onDidChange(() => {
    const root = host.treeModel.focusedRoot();
    const modelPath = root?.kind === 'model' ? root.model.modelPath : undefined;
    if (!root || modelPath === revealed || !treeView.visible) return;
    revealed = modelPath;
    // Not focus: the user is working in the panel.
    void Promise.resolve(treeView.reveal(root, { select: true, focus: false, expand: true })).catch(() => undefined);
  });
}

export function deactivate(): void {}
