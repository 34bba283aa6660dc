// What the extension holds while it runs: the engine, the open models (sidebar tree) and one
// visualization panel per model. Commands and the public API call into it.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import type { ModelSummary, PreprocessMode } from '../engine/types';
import type { WebviewPersistedState } from '../shared/protocol';
import type { EngineClient } from '../worker/engineClient';
import { VisualizationPanel, type PanelServices, type RunOutcome, type VisualizationTarget } from './panel/visualizationPanel';
import { pickImage, pickLayers } from './pickers';
import { readSettings } from './settings';
import { ModelTreeModel } from './tree/modelTreeModel';

const PREPROCESS_KEY = 'convscope.preprocessByModel';
const LAST_IMAGE_KEY = 'convscope.lastImageByModel';

export class ConvscopeHost implements vscode.Disposable {
  readonly treeModel = new ModelTreeModel();
  private readonly panels = new Map<string, VisualizationPanel>();
  private readonly services: PanelServices;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly engine: EngineClient,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.services = {
      engine,
      extensionUri: context.extensionUri,
      settings: readSettings,
      log,
      preprocessFor: (modelPath) => this.stored<PreprocessMode>(PREPROCESS_KEY, modelPath),
      rememberPreprocess: (modelPath, mode) => this.store(PREPROCESS_KEY, modelPath, mode),
      chooseImage: async (panel) => {
        const imagePath = await pickImage(panel.currentTarget.imagePath);
        if (imagePath) await this.visualize({ ...panel.currentTarget, imagePath });
      },
      chooseLayers: async (panel) => {
        const summary = await this.openModel(panel.modelPath);
        const names = summary && (await pickLayers(summary, panel.shownLayerIndices));
        if (names) await panel.run({ layers: { names } });
      },
    };
  }

  private stored<T>(key: string, modelPath: string): T | undefined {
    return this.context.workspaceState.get<Record<string, T>>(key, {})[modelPath];
  }

  private store<T>(key: string, modelPath: string, value: T): Thenable<void> {
    return this.context.workspaceState.update(key, { ...this.context.workspaceState.get<Record<string, T>>(key, {}), [modelPath]: value });
  }

  lastImageFor(modelPath: string): string | undefined {
    return this.stored<string>(LAST_IMAGE_KEY, modelPath);
  }

  /** Shows the model in the sidebar; resolves to its summary, or undefined after reporting why not. */
  async openModel(modelPath: string): Promise<ModelSummary | undefined> {
    const known = this.treeModel.get(modelPath);
    if (known?.state === 'loaded') return known.summary;
    this.treeModel.set({ state: 'loading', modelPath });
    try {
      const summary = await this.engine.summarize(modelPath, readSettings().limits);
      this.treeModel.set({ state: 'loaded', modelPath, summary });
      return summary;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.treeModel.set({ state: 'failed', modelPath, message });
      this.log.error(message);
      void vscode.window.showErrorMessage(`Convscope: ${message}`);
      return undefined;
    }
  }

  closeModel(modelPath: string): void {
    this.treeModel.remove(modelPath);
    this.panels.get(modelPath)?.dispose();
  }

  /** Runs the activation view of a model on an image, in the model's panel (made if needed). */
  async visualize(target: VisualizationTarget): Promise<RunOutcome> {
    await this.store(LAST_IMAGE_KEY, target.modelPath, target.imagePath);
    void this.openModel(target.modelPath);
    const existing = this.panels.get(target.modelPath);
    if (existing) {
      existing.reveal();
      return existing.run(target);
    }
    return this.track(VisualizationPanel.create(this.services, target)).run();
  }

  /** Brings back a panel VS Code restored after a reload, and runs it again. */
  async revivePanel(webviewPanel: vscode.WebviewPanel, state: WebviewPersistedState | undefined): Promise<void> {
    if (!state?.modelPath || !state.imagePath || !existsSync(state.modelPath) || !existsSync(state.imagePath)) {
      webviewPanel.dispose();
      return;
    }
    const panel = this.track(new VisualizationPanel(webviewPanel, this.services, { modelPath: state.modelPath, imagePath: state.imagePath }));
    void this.openModel(state.modelPath);
    await panel.run();
  }

  panelFor(modelPath: string): VisualizationPanel | undefined {
    return this.panels.get(modelPath);
  }

  private track(panel: VisualizationPanel): VisualizationPanel {
    this.panels.get(panel.modelPath)?.dispose();
    this.panels.set(panel.modelPath, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(panel.modelPath) === panel) this.panels.delete(panel.modelPath);
    });
    return panel;
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
  }
}
