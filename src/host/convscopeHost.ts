// What the extension holds while it runs: the engine, the open models (sidebar tree) and, per
// model, one panel of each kind. Commands and the public API call into it.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ColormapName, ModelSummary, PreprocessMode } from '../shared/types';
import type { PanelViewKind, WebviewPersistedState } from '../shared/protocol';
import type { EngineClient } from './engineClient';
import { ActivationsPanel, type ActivationsOutcome, type ActivationsPanelServices, type ActivationsTarget } from './panel/activationsPanel';
import { FilterPatternCache } from './panel/filterPatternCache';
import { FilterPatternPanel, type FilterPatternOutcome, type FilterPatternPanelServices, type FilterPatternTarget } from './panel/filterPatternPanel';
import { GradCamPanel, type GradCamOutcome, type GradCamTarget } from './panel/gradCamPanel';
import { ModelSummaryPanel, type ModelSummaryOutcome, type ModelSummaryPanelServices } from './panel/modelSummaryPanel';
import type { RunPanel } from './panel/runPanel';
import { MAX_INPUT_SIDE, parseInputSide, takesAnySize } from './inputSide';
import { pickImage, pickLayers } from './pickers';
import { readSettings } from './settings';
import { markUsed } from './statusBar/modelStatus';
import { ModelTreeModel } from './tree/modelTreeModel';
import { DEFAULT_FREE_INPUT_SIDE } from '../shared/defaults';

const PREPROCESS_KEY = 'convscope.preprocessByModel';
const COLORMAP_KEY = 'convscope.colormapByModel';
const LAST_IMAGE_KEY = 'convscope.lastImageByModel';
const INPUT_SIDE_KEY = 'convscope.inputSideByModel';

export class ConvscopeHost implements vscode.Disposable {
  readonly treeModel = new ModelTreeModel();
  private readonly panels = new Map<string, RunPanel>();
  private readonly services: ActivationsPanelServices & ModelSummaryPanelServices & FilterPatternPanelServices;
  readonly filterCache: FilterPatternCache;
  /** Models acted on, the one used last first: the status bar names the first that is loaded. */
  private recent: string[] = [];
  private readonly useEmitter = new vscode.EventEmitter<string>();
  /** Fires with a model's path when a command or panel acts on it. */
  readonly onDidUseModel = this.useEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly engine: EngineClient,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.filterCache = new FilterPatternCache(path.join(context.globalStorageUri.fsPath, 'filter-patterns'), () => readSettings().filters.cacheMegabytes * 2 ** 20);
    this.services = {
      filterCache: this.filterCache,
      engine,
      extensionUri: context.extensionUri,
      settings: readSettings,
      log,
      // The choice made for this model in a panel, else the setting (undefined: the model's own default).
      preprocessFor: (modelPath: string) => this.stored<PreprocessMode>(PREPROCESS_KEY, modelPath) ?? readSettings().preprocess,
      rememberPreprocess: (modelPath: string, mode: PreprocessMode) => this.store(PREPROCESS_KEY, modelPath, mode),
      colormapFor: (modelPath: string) => this.stored<ColormapName>(COLORMAP_KEY, modelPath),
      inputSideFor: (modelPath: string) => this.stored<number>(INPUT_SIDE_KEY, modelPath),
      rememberColormap: (modelPath: string, colormap: ColormapName) => this.store(COLORMAP_KEY, modelPath, colormap),
      loadSummary: (modelPath: string, signal: AbortSignal) => this.loadSummary(modelPath, signal),
      chooseImage: async (panel: ActivationsPanel) => {
        const imagePath = await pickImage(panel.currentTarget.imagePath);
        if (imagePath) await this.visualize({ ...panel.currentTarget, imagePath });
      },
      chooseLayers: async (panel: ActivationsPanel) => {
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

  /** Models acted on, the one used last first. */
  get recentModels(): readonly string[] {
    return this.recent;
  }

  private markUsed(modelPath: string): void {
    this.recent = markUsed(this.recent, modelPath);
    this.useEmitter.fire(modelPath);
  }

  /** The sidebar's summary when it has one; else the engine's (which then fills the sidebar). */
  private async loadSummary(modelPath: string, signal: AbortSignal): Promise<ModelSummary> {
    const known = this.treeModel.get(modelPath);
    if (known?.state === 'loaded') return known.summary;
    const summary = await this.engine.summarize(modelPath, readSettings().limits, signal);
    if (this.treeModel.get(modelPath)?.state !== 'loaded') this.treeModel.set({ state: 'loaded', modelPath, summary });
    return summary;
  }

  /** Shows the model in the sidebar; resolves to its summary, or undefined after reporting why not. */
  async openModel(modelPath: string): Promise<ModelSummary | undefined> {
    this.markUsed(modelPath);
    const known = this.treeModel.get(modelPath);
    if (known?.state === 'loaded') return known.summary;
    this.treeModel.set({ state: 'loading', modelPath });
    try {
      const summary = await this.engine.summarize(modelPath, readSettings().limits);
      for (const note of summary.loadNotes ?? []) this.log.info(`${modelPath}: ${note}`);
      this.treeModel.set({ state: 'loaded', modelPath, summary });
      this.markUsed(modelPath);
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
    this.recent = this.recent.filter((known) => known !== modelPath);
    this.treeModel.remove(modelPath);
    for (const panel of [...this.panels.values()]) if (panel.modelPath === modelPath) panel.dispose();
  }

  /** Activations of a model on an image, in the model's activations panel (made if needed). */
  async visualize(target: ActivationsTarget): Promise<ActivationsOutcome> {
    await this.store(LAST_IMAGE_KEY, target.modelPath, target.imagePath);
    await this.askInputSideOnce(target.modelPath);
    const panel = this.panelOf<ActivationsPanel>('activations', target.modelPath) ?? this.track(ActivationsPanel.create(this.services, target));
    panel.reveal();
    return panel.run(target);
  }

  /** Filter patterns of a convolution layer (one filter, or the first 64 as a grid). */
  async showFilterPatterns(target: Omit<FilterPatternTarget, 'preset'> & { preset?: FilterPatternTarget['preset'] }): Promise<FilterPatternOutcome> {
    void this.openModel(target.modelPath);
    const existing = this.panelOf<FilterPatternPanel>('filters', target.modelPath);
    const full: FilterPatternTarget = { ...target, preset: target.preset ?? existing?.currentTarget.preset ?? readSettings().filters.preset };
    const panel = existing ?? this.track(FilterPatternPanel.create(this.services, full));
    panel.reveal();
    return panel.run(full);
  }

  /** Grad-CAM of a model on an image; fields left out keep the panel's current choices. */
  async explain(target: GradCamTarget): Promise<GradCamOutcome> {
    await this.store(LAST_IMAGE_KEY, target.modelPath, target.imagePath);
    await this.askInputSideOnce(target.modelPath);
    const existing = this.panelOf<GradCamPanel>('gradcam', target.modelPath);
    if (existing) {
      existing.reveal();
      return existing.run(target);
    }
    return this.track(GradCamPanel.create(this.services, target)).run();
  }

  /**
   * A model whose input takes any height or width needs a size to resize images to: asked the
   * first time (224 offered, Keras' usual `target_size`) and remembered for the model. The
   * commands open the model before they get here; a model still loading is not waited for (its
   * panel shows the load), and its images get the default side.
   */
  private async askInputSideOnce(modelPath: string): Promise<void> {
    const known = this.treeModel.get(modelPath);
    if (known?.state !== 'loaded') {
      void this.openModel(modelPath);
      return;
    }
    this.markUsed(modelPath);
    if (!takesAnySize(known.summary) || this.stored<number>(INPUT_SIDE_KEY, modelPath) !== undefined) return;
    await this.askInputSide(modelPath, known.summary.modelName);
  }

  /** Asks for the side images are resized to for a model that takes any size; true when one was given. */
  async askInputSide(modelPath: string, modelName: string): Promise<boolean> {
    const answer = await vscode.window.showInputBox({
      title: `Convscope: Input Size for ${modelName}`,
      prompt: 'This model takes images of any size. Resize images to this many pixels on each side:',
      value: String(this.stored<number>(INPUT_SIDE_KEY, modelPath) ?? DEFAULT_FREE_INPUT_SIDE),
      validateInput: (value) => (parseInputSide(value) === undefined ? `A whole number of pixels from 1 to ${MAX_INPUT_SIDE}` : undefined),
    });
    const side = answer === undefined ? undefined : parseInputSide(answer);
    if (side === undefined) return false;
    await this.store(INPUT_SIDE_KEY, modelPath, side);
    return true;
  }

  /** Asks again for a model's input size (for models that take any size) and re-runs its open panels. */
  async changeInputSide(modelPath: string): Promise<void> {
    const summary = await this.openModel(modelPath);
    if (!summary) return;
    if (!takesAnySize(summary)) {
      const [height, width] = summary.inputShape;
      void vscode.window.showInformationMessage(`Convscope: ${summary.modelName} takes ${height} × ${width} images; its input size is fixed.`);
      return;
    }
    if (!(await this.askInputSide(modelPath, summary.modelName))) return;
    for (const view of ['activations', 'gradcam'] as const) void this.panelOf<RunPanel>(view, modelPath)?.run();
  }

  /** The model summary (the study notes' `model.summary()`) in the model's summary panel. */
  async showSummary(modelPath: string): Promise<ModelSummaryOutcome | undefined> {
    if (!(await this.openModel(modelPath))) return undefined;
    const panel = this.panelOf<ModelSummaryPanel>('summary', modelPath) ?? this.track(ModelSummaryPanel.create(this.services, modelPath));
    panel.reveal();
    return panel.run();
  }

  /** Brings back a panel VS Code restored after a reload, and runs it again. */
  async revivePanel(webviewPanel: vscode.WebviewPanel, state: WebviewPersistedState | undefined): Promise<void> {
    const files = state ? [state.modelPath, ...('imagePath' in state ? [state.imagePath] : [])] : [];
    if (!state || files.some((file) => !file || !existsSync(file))) {
      webviewPanel.dispose();
      return;
    }
    void this.openModel(state.modelPath);
    switch (state.view) {
      case 'activations':
        await this.track(new ActivationsPanel(webviewPanel, this.services, state)).run();
        return;
      case 'filters':
        await this.track(new FilterPatternPanel(webviewPanel, this.services, state)).run();
        return;
      case 'gradcam':
        await this.track(new GradCamPanel(webviewPanel, this.services, state)).run();
        return;
      case 'summary':
        await this.track(new ModelSummaryPanel(webviewPanel, this.services, state.modelPath)).run();
        return;
    }
  }

  /** Runs again the open panels whose picture depends on a setting that changed. */
  rerunPanelsAffectedBy(event: vscode.ConfigurationChangeEvent): void {
    const affects: Record<PanelViewKind, string[]> = {
      activations: ['convscope.activations', 'convscope.colormap', 'convscope.preprocessing', 'convscope.image', 'convscope.limits'],
      filters: ['convscope.filters', 'convscope.preprocessing', 'convscope.limits'],
      gradcam: ['convscope.gradCam', 'convscope.preprocessing', 'convscope.image', 'convscope.limits'],
      summary: [],
    };
    for (const panel of this.panels.values()) {
      if (affects[panel.view].some((section) => event.affectsConfiguration(section))) void panel.run();
    }
  }

  panelOf<T extends RunPanel>(view: PanelViewKind, modelPath: string): T | undefined {
    return this.panels.get(`${view}:${modelPath}`) as T | undefined;
  }

  private track<T extends RunPanel>(panel: T): T {
    const key = `${panel.view}:${panel.modelPath}`;
    this.panels.get(key)?.dispose();
    this.panels.set(key, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
    });
    // The model of the panel in front is the one the status bar names.
    panel.panel.onDidChangeViewState((event) => {
      if (event.webviewPanel.active && this.treeModel.get(panel.modelPath)) this.markUsed(panel.modelPath);
    });
    return panel;
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
    this.useEmitter.dispose();
  }
}
