// The status bar item shown while a model is open: `$(layers) <model> · <backend>`; a click opens
// that model's summary.
import * as vscode from 'vscode';
import type { BackendName } from '../../shared/types';
import type { EngineClient } from '../engineClient';
import type { ModelTreeModel } from '../tree/modelTreeModel';
import { currentModelOf, modelStatusContent } from './modelStatus';

export class ModelStatusBarItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('convscope.model', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: { dispose(): void }[] = [];
  private backend: BackendName | undefined;
  private backendRequest = 0;

  constructor(
    private readonly treeModel: ModelTreeModel,
    private readonly engine: EngineClient,
    private readonly recentModels: () => readonly string[],
    onDidUseModel: vscode.Event<string>,
  ) {
    this.item.name = 'Convscope Model';
    this.subscriptions.push(treeModel.onDidChange(() => this.update()), onDidUseModel(() => this.update()));
    this.update();
  }

  /** Asks the engine for its backend again (after the backend setting or workspace trust changed). */
  refreshBackend(): void {
    this.backend = undefined;
    this.update();
  }

  private update(): void {
    const models = this.treeModel.openModelPaths().flatMap((modelPath) => this.treeModel.get(modelPath) ?? []);
    const current = currentModelOf(models, this.recentModels());
    if (!current) {
      this.item.hide();
      return;
    }
    const content = modelStatusContent(current, this.backend, models.length);
    this.item.text = content.text;
    this.item.tooltip = content.tooltip;
    this.item.command = { command: 'convscope.showModelSummary', title: 'Show Model Summary', arguments: [content.modelPath] };
    this.item.show();
    if (this.backend === undefined) this.requestBackend();
  }

  /** The engine runs whenever a model is loaded, so its start() report is at hand. */
  private requestBackend(): void {
    const request = ++this.backendRequest;
    this.engine.start().then(
      (report) => {
        if (request !== this.backendRequest) return;
        this.backend = report.backend;
        this.update();
      },
      () => undefined,
    );
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.item.dispose();
  }
}
