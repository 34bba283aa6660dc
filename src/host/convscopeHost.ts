// What the extension holds while it runs: the engine, the open models (sidebar tree) and, per
// model, one panel of each kind, all in one editor group. It knows which model is in front (the
// focused panel's, else the active editor's model file): commands, the status bar and the tree
// follow it.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ColormapName, ModelSummary, PreprocessMode } from '../shared/types';
import type { PanelViewKind, WebviewPersistedState } from '../shared/protocol';
import type { EngineClient } from './engineClient';
import { activeEditorModelPath } from './focusedModel';
import { withRecentImage } from './imageChoices';
import { ACTIVATIONS_VIEW_TYPE, ActivationsPanel, type ActivationsOutcome, type ActivationsPanelServices, type ActivationsTarget } from './panel/activationsPanel';
import { FilterPatternCache } from './panel/filterPatternCache';
import { FILTER_PATTERNS_VIEW_TYPE, FilterPatternPanel, type FilterPatternOutcome, type FilterPatternPanelServices, type FilterPatternTarget } from './panel/filterPatternPanel';
import { GRAD_CAM_VIEW_TYPE, GradCamPanel, type GradCamOutcome, type GradCamTarget } from './panel/gradCamPanel';
import { storePastedImage } from './panel/imageFiles';
import { PREPROCESS_CHOSEN_IN_PANEL } from './panel/imageRunPanel';
import { DATASET_VIEW_TYPE, DatasetPanel, pickDatasetFolder, type DatasetOutcome, type DatasetPanelServices } from './panel/datasetPanel';
import { MODEL_SUMMARY_VIEW_TYPE, ModelSummaryPanel, type ModelSummaryOutcome, type ModelSummaryPanelServices } from './panel/modelSummaryPanel';
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
const RECENT_IMAGES_KEY = 'convscope.recentImages';
const INPUT_SIDE_KEY = 'convscope.inputSideByModel';
/** Explain Folder's predictions, thumbnails and heatmaps, in the extension's global storage. */
const DATASET_CACHE_FOLDER = 'dataset-cache';
/** The class of each class folder, as the user set it, by model and folder. */
const DATASET_MAPPING_KEY = 'convscope.datasetMappingByModelAndFolder';
/** Pasted images are kept here, in the extension's global storage, never beside the user's files. */
const PASTED_IMAGES_FOLDER = 'pasted-images';

export class ConvscopeHost implements vscode.Disposable {
  readonly treeModel = new ModelTreeModel();
  private readonly panels = new Map<string, RunPanel>();
  private readonly services: ActivationsPanelServices & ModelSummaryPanelServices & FilterPatternPanelServices;
  readonly filterCache: FilterPatternCache;
  /** Models acted on or brought to front, the latest first: the status bar names the first that is loaded. */
  private recent: string[] = [];
  /** The Convscope panel in front (the active editor), if one is. */
  private activePanel: RunPanel | undefined;
  private readonly useEmitter = new vscode.EventEmitter<string>();
  /** Fires with a model's path when a command or panel acts on it, or it comes to front. */
  readonly onDidUseModel = this.useEmitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];

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
      // The choice made for this model in a panel, else the setting (undefined: `auto`, the model's own).
      preprocessRequestFor: (modelPath: string) => {
        const chosen = this.stored<PreprocessMode>(PREPROCESS_KEY, modelPath);
        if (chosen !== undefined) return { mode: chosen, reason: PREPROCESS_CHOSEN_IN_PANEL };
        const setting = readSettings().preprocess;
        return setting && { mode: setting, reason: 'the convscope.preprocessing setting' };
      },
      rememberPreprocess: (modelPath: string, mode: PreprocessMode) => this.store(PREPROCESS_KEY, modelPath, mode),
      colormapFor: (modelPath: string) => this.stored<ColormapName>(COLORMAP_KEY, modelPath),
      inputSideFor: (modelPath: string) => this.stored<number>(INPUT_SIDE_KEY, modelPath),
      rememberColormap: (modelPath: string, colormap: ColormapName) => this.store(COLORMAP_KEY, modelPath, colormap),
      loadSummary: (modelPath: string, signal: AbortSignal) => this.loadSummary(modelPath, signal),
      pickImage: (modelPath: string, currentImage: string) => this.pickImageFor(modelPath, currentImage),
      storePastedImage: (name, image) => storePastedImage(path.join(context.globalStorageUri.fsPath, PASTED_IMAGES_FOLDER), name, image),
      rememberImage: (modelPath: string, imagePath: string) => this.rememberImage(modelPath, imagePath),
      chooseLayers: async (panel: ActivationsPanel) => {
        const summary = await this.openModel(panel.modelPath);
        const names = summary && (await pickLayers(summary, panel.shownLayerIndices));
        if (names) await panel.run({ layers: { names } });
      },
    };
    // A model file coming to front in an editor is the model in front, unless a panel is.
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.focusChanged()),
      vscode.window.tabGroups.onDidChangeTabs(() => this.focusChanged()),
    );
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

  private get recentImages(): string[] {
    return this.context.workspaceState.get<string[]>(RECENT_IMAGES_KEY, []);
  }

  /** The image becomes the model's last and the first of the recent ones. */
  private async rememberImage(modelPath: string, imagePath: string): Promise<void> {
    await this.store(LAST_IMAGE_KEY, modelPath, imagePath);
    await this.context.workspaceState.update(RECENT_IMAGES_KEY, withRecentImage(this.recentImages, imagePath));
  }

  /** The image picker for a model: its neighbours, then recent images, then the workspace's. */
  pickImageFor(modelPath: string | undefined, currentImage?: string): Promise<string | undefined> {
    const lastUsed = currentImage ?? (modelPath !== undefined ? this.lastImageFor(modelPath) : undefined);
    return pickImage({ modelPath, lastUsed, recent: this.recentImages });
  }

  /** The model in front: the focused Convscope panel's, else the active editor's model file. */
  focusedModelPath(): string | undefined {
    return this.activePanel?.modelPath ?? activeEditorModelPath();
  }

  /** Marks the model in front as used (the status bar names it) and in the tree. */
  private focusChanged(): void {
    const focused = this.focusedModelPath();
    this.treeModel.setFocused(focused);
    if (focused !== undefined && focused !== this.recent[0]) this.markUsed(focused);
  }

  /** Models acted on, the one in front first, then the one used last. */
  get recentModels(): readonly string[] {
    const focused = this.focusedModelPath();
    return focused === undefined ? this.recent : markUsed(this.recent, focused);
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
      if (summary.preprocessReason !== undefined) this.log.info(`${modelPath}: preprocessing ${summary.defaultPreprocess} by default: ${summary.preprocessReason}`);
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
    this.recent = this.recent.filter((known) => known !== modelPath);
    this.treeModel.remove(modelPath);
    for (const panel of [...this.panels.values()]) if (panel.modelPath === modelPath) panel.dispose();
  }

  /** Activations of a model on an image, in the model's activations panel (made if needed). */
  async visualize(target: ActivationsTarget): Promise<ActivationsOutcome> {
    await this.rememberImage(target.modelPath, target.imagePath);
    await this.askInputSideOnce(target.modelPath);
    const { modelPath, ...changes } = target;
    const existing = this.panelOf<ActivationsPanel>('activations', modelPath);
    const panel = existing ?? this.openPanel(ACTIVATIONS_VIEW_TYPE, (webviewPanel) => new ActivationsPanel(webviewPanel, this.services, target));
    panel.reveal();
    return panel.run(changes);
  }

  /** Filter patterns of a convolution layer (one filter, or the first 64 as a grid). */
  async showFilterPatterns(target: Omit<FilterPatternTarget, 'preset'> & { preset?: FilterPatternTarget['preset'] }): Promise<FilterPatternOutcome> {
    void this.openModel(target.modelPath);
    const existing = this.panelOf<FilterPatternPanel>('filters', target.modelPath);
    const full: FilterPatternTarget = { ...target, preset: target.preset ?? existing?.currentTarget.preset ?? readSettings().filters.preset };
    const panel = existing ?? this.openPanel(FILTER_PATTERNS_VIEW_TYPE, (webviewPanel) => new FilterPatternPanel(webviewPanel, this.services, full));
    panel.reveal();
    const { modelPath: _modelPath, ...changes } = full;
    return panel.run(changes);
  }

  /** Grad-CAM of a model on an image; fields left out keep the panel's current choices. */
  async explain(target: GradCamTarget): Promise<GradCamOutcome> {
    await this.rememberImage(target.modelPath, target.imagePath);
    await this.askInputSideOnce(target.modelPath);
    const { modelPath, ...changes } = target;
    const existing = this.panelOf<GradCamPanel>('gradcam', modelPath);
    const panel = existing ?? this.openPanel(GRAD_CAM_VIEW_TYPE, (webviewPanel) => new GradCamPanel(webviewPanel, this.services, target));
    panel.reveal();
    // Another image is explained for its own top prediction, unless a class is asked for.
    const imageChanged = existing !== undefined && existing.currentTarget.imagePath !== target.imagePath;
    return panel.run(imageChanged ? { targetClass: undefined, ...changes } : changes);
  }

  /** Explain Folder: every image under `folder` through the model, in the model's dataset panel. */
  async explainFolder(modelPath: string, folder: string): Promise<DatasetOutcome> {
    await this.askInputSideOnce(modelPath);
    const existing = this.panelOf<DatasetPanel>('dataset', modelPath);
    const panel = existing ?? this.openPanel(DATASET_VIEW_TYPE, (webviewPanel) => new DatasetPanel(webviewPanel, this.datasetServices(), { modelPath, folder }));
    panel.reveal();
    // Another folder starts from its own remembered mapping.
    return panel.run(existing && existing.folder !== folder ? { folder, folderToClass: undefined } : { folder });
  }

  private datasetServices(): DatasetPanelServices {
    const mappingKey = (model: string, dataset: string) => JSON.stringify([model, dataset]);
    return {
      ...this.services,
      datasetCacheRoot: path.join(this.context.globalStorageUri.fsPath, DATASET_CACHE_FOLDER),
      datasetMappingFor: (model, dataset) => this.context.workspaceState.get<Record<string, Record<string, number>>>(DATASET_MAPPING_KEY, {})[mappingKey(model, dataset)],
      rememberDatasetMapping: (model, dataset, mapping) =>
        this.context.workspaceState.update(DATASET_MAPPING_KEY, { ...this.context.workspaceState.get(DATASET_MAPPING_KEY, {}), [mappingKey(model, dataset)]: mapping }),
      explainImage: (model, imagePath) => this.explain({ modelPath: model, imagePath }),
      pickFolder: (current) => pickDatasetFolder(current),
    };
  }

  /** The image shown in the model's open Grad-CAM panel, if one is open. */
  gradCamImageOf(modelPath: string): string | undefined {
    return this.panelOf<GradCamPanel>('gradcam', modelPath)?.currentTarget.imagePath;
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
    const panel = this.panelOf<ModelSummaryPanel>('summary', modelPath) ?? this.openPanel(MODEL_SUMMARY_VIEW_TYPE, (webviewPanel) => new ModelSummaryPanel(webviewPanel, this.services, { modelPath }));
    panel.reveal();
    return panel.run();
  }

  /** Brings back a panel VS Code restored after a reload, and runs it again. */
  async revivePanel(webviewPanel: vscode.WebviewPanel, state: WebviewPersistedState | undefined): Promise<void> {
    const files = state ? [state.modelPath, ...('imagePath' in state ? [state.imagePath] : []), ...('folder' in state ? [state.folder] : [])] : [];
    if (!state || files.some((file) => !file || !existsSync(file))) {
      webviewPanel.dispose();
      return;
    }
    void this.openModel(state.modelPath);
    const { modelPath } = state;
    switch (state.view) {
      case 'activations':
        await this.track(new ActivationsPanel(webviewPanel, this.services, { modelPath, imagePath: state.imagePath })).run();
        return;
      case 'filters':
        await this.track(new FilterPatternPanel(webviewPanel, this.services, { modelPath, layerName: state.layerName, preset: state.preset })).run();
        return;
      case 'gradcam':
        await this.track(new GradCamPanel(webviewPanel, this.services, { modelPath, imagePath: state.imagePath, targetClass: state.targetClass, layer: state.layer })).run();
        return;
      case 'summary':
        await this.track(new ModelSummaryPanel(webviewPanel, this.services, { modelPath })).run();
        return;
      case 'dataset':
        await this.track(new DatasetPanel(webviewPanel, this.datasetServices(), { modelPath, folder: state.folder })).run();
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
      // A folder run is long: a setting change shows on the next run rather than restarting it.
      dataset: [],
    };
    for (const panel of this.panels.values()) {
      if (affects[panel.view].some((section) => event.affectsConfiguration(section))) void panel.run();
    }
  }

  panelOf<T extends RunPanel>(view: PanelViewKind, modelPath: string): T | undefined {
    return this.panels.get(`${view}:${modelPath}`) as T | undefined;
  }

  /**
   * A new panel, in the editor group that holds the Convscope panels already open (the one in front
   * first), so they become tabs of one group, as VS Code's own previews do; the first goes beside
   * the active editor.
   */
  private openPanel<T extends RunPanel>(viewType: string, create: (webviewPanel: vscode.WebviewPanel) => T): T {
    const columns = [this.activePanel, ...this.panels.values()].map((panel) => panel?.panel.viewColumn);
    const viewColumn = columns.find((column) => column !== undefined) ?? vscode.ViewColumn.Beside;
    // The panel sets its webview's options (scripts, resource roots) itself.
    const webviewPanel = vscode.window.createWebviewPanel(viewType, 'Convscope', { viewColumn, preserveFocus: false });
    return this.track(create(webviewPanel));
  }

  private track<T extends RunPanel>(panel: T): T {
    const key = `${panel.view}:${panel.modelPath}`;
    this.panels.get(key)?.dispose();
    this.panels.set(key, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
      if (this.activePanel === panel) this.activePanel = undefined;
      this.focusChanged();
    });
    panel.panel.onDidChangeViewState((event) => {
      if (event.webviewPanel.active) this.activePanel = panel;
      else if (this.activePanel === panel) this.activePanel = undefined;
      this.focusChanged();
    });
    if (panel.panel.active) this.activePanel = panel;
    this.focusChanged();
    return panel;
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
    this.useEmitter.dispose();
  }
}
