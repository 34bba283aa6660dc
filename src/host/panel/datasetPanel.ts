// The Explain Folder panel: every image under a folder through the model (the dataset job, on the
// engine's long lane), its results streamed into the view as each batch finishes; accuracy, the
// confusion matrix and a gallery there. A click on an image asks for its map (Grad-CAM or any method
// the Explain Prediction panel offers), computed on the short lane while the folder run goes on.
// Thumbnails and heatmaps stay files in the run's cache folder: the view loads only those it shows.
import * as vscode from 'vscode';
import path from 'node:path';
import { DATASET_DEFAULTS } from '../../shared/defaults';
import type { DatasetRunSummary, DatasetLabelMapping } from '../../shared/types';
import type { WebviewToHostMessage } from '../../shared/protocol';
import type { ExplainMethod } from '../../shared/camMethods';
import { camMethodInfo } from '../../shared/camMethods';
import { EngineError } from '../engineClient';
import { datasetActionFor } from './datasetPanelMessages';
import { webviewRoot } from './panelHtml';
import { RunPanel, type PanelServices, type RunCancelled, type RunFailure } from './runPanel';
import type { PreprocessMode } from '../../shared/types';

export const DATASET_VIEW_TYPE = 'convscope.dataset';

export interface DatasetTarget {
  modelPath: string;
  folder: string;
  /** Folder name → class index, as the user set it; omitted: the remembered one, else the rules of labelMapping.ts. */
  folderToClass?: Record<string, number>;
}

export interface DatasetPanelServices extends PanelServices {
  /** Where dataset runs keep their predictions, thumbnails and heatmaps. */
  datasetCacheRoot: string;
  preprocessRequestFor(modelPath: string): { mode: PreprocessMode; reason: string } | undefined;
  inputSideFor(modelPath: string): number | undefined;
  /** The mapping the user confirmed for this model and folder. */
  datasetMappingFor(modelPath: string, folder: string): Record<string, number> | undefined;
  rememberDatasetMapping(modelPath: string, folder: string, mapping: Record<string, number>): Thenable<void>;
  /** Asks for another folder to explain (the dialog opens at `current`). */
  pickFolder(current: string): Promise<string | undefined>;
  /** Opens an image of the folder in the Explain Prediction panel. */
  explainImage(modelPath: string, imagePath: string): Promise<unknown>;
}

export type DatasetOutcome = { state: 'finished'; summary: DatasetRunSummary } | RunFailure | RunCancelled;

/** A folder of images, from a dialog that opens at `near` (else the first workspace folder). */
export async function pickDatasetFolder(near?: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Explain Folder',
    title: 'Convscope: a folder of images (one subfolder per class, as flow_from_directory reads)',
    defaultUri: near !== undefined ? vscode.Uri.file(near) : vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

export class DatasetPanel extends RunPanel<DatasetTarget, DatasetOutcome> {
  /** The latest run's classes and mapping, for Change Mapping. */
  private lastRun: { classNames: string[]; classFolders: string[]; mapping: DatasetLabelMapping } | undefined;
  /** The map being computed for a clicked image: a newer click cancels it. */
  private explaining: AbortController | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    protected override readonly services: DatasetPanelServices,
    target: DatasetTarget,
  ) {
    super(panel, services, 'dataset', target);
    // The gallery's thumbnails and heatmaps are loaded from the cache folder, not sent as messages.
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(services.extensionUri), vscode.Uri.file(services.datasetCacheRoot)] };
  }

  get folder(): string {
    return this.target.folder;
  }

  protected runTarget(): Promise<DatasetOutcome> {
    const settings = this.services.settings();
    const { modelPath, folder } = this.target;
    const folderToClass = this.target.folderToClass ?? this.services.datasetMappingFor(modelPath, folder);
    this.panel.title = `Explain Folder: ${path.basename(folder)}`;
    return this.startRun(`Convscope: explaining the folder ${path.basename(folder)}`, async (run) => {
      let firstProgress: { done: number; at: number } | undefined;
      const summary = await this.services.engine.runDataset(
        {
          modelPath,
          folder,
          folderToClass,
          labelsPath: settings.gradCam.labelsPath,
          preprocess: this.services.preprocessRequestFor(modelPath)?.mode,
          inputSide: this.services.inputSideFor(modelPath),
          cacheRoot: this.services.datasetCacheRoot,
          batchSize: DATASET_DEFAULTS.batchSize,
          maxImages: DATASET_DEFAULTS.maxImages,
          thumbnailSize: DATASET_DEFAULTS.thumbnailSize,
          colormap: settings.gradCam.colormap,
          intensity: settings.gradCam.intensity,
          limits: settings.limits,
        },
        {
          onStarted: (start) => {
            this.lastRun = { classNames: start.classNames, classFolders: start.classFolders, mapping: start.mapping };
            run.post({
              type: 'datasetSession',
              session: {
                runId: run.runId,
                modelPath,
                modelName: start.summary.modelName,
                folder,
                classNames: start.classNames,
                classFolders: start.classFolders,
                mapping: start.mapping,
                imageCount: start.imageCount,
                imageBase: this.panel.webview.asWebviewUri(vscode.Uri.file(start.cacheFolder)).toString(),
              },
            });
          },
          onImages: (images, skipped) => run.post({ type: 'datasetImages', runId: run.runId, images, skipped }),
          onProgress: (done, total, message) => {
            const now = Date.now();
            firstProgress ??= { done, at: now };
            const seconds = (now - firstProgress.at) / 1000;
            const rate = seconds > 0.5 && done > firstProgress.done ? ` · ${((done - firstProgress.done) / seconds).toFixed(1)} images/s` : '';
            run.progress(done, total, 'images', `${message}${rate}`);
          },
        },
        run.signal,
      );
      run.post({ type: 'datasetSummary', runId: run.runId, summary });
      run.status({
        state: 'finished',
        backend: summary.backend,
        timings: [{ label: 'All images', ms: summary.elapsedMs }],
        details: [
          `${summary.predictedCount} images at ${summary.imagesPerSecond.toFixed(1)} images/s (${summary.cachedCount} from the cache)`,
          ...(summary.skipped.length ? [`${summary.skipped.length} unreadable, skipped`] : []),
        ],
      });
      return { state: 'finished', summary } as const;
    });
  }

  protected async onViewMessage(message: WebviewToHostMessage): Promise<void> {
    const action = datasetActionFor(message);
    switch (action?.action) {
      case 'explainImage':
        await this.explainImage(action.requestId, action.relativePath, action.method);
        return;
      case 'openImage':
        await this.services.explainImage(this.modelPath, this.imagePathOf(action.relativePath));
        return;
      case 'changeMapping':
        await this.changeMapping();
        return;
      case 'chooseFolder': {
        const folder = await this.services.pickFolder(this.target.folder);
        if (folder) await this.run({ folder, folderToClass: undefined });
        return;
      }
      default:
        return;
    }
  }

  private imagePathOf(relativePath: string): string {
    // The message parser allows only relative paths without `..`: the image is inside the folder.
    return path.join(this.target.folder, ...relativePath.split('/'));
  }

  /** One image's map, by the method asked, sent to the view beside the gallery. */
  private async explainImage(requestId: number, relativePath: string, method: ExplainMethod): Promise<void> {
    this.explaining?.abort();
    const abort = new AbortController();
    this.explaining = abort;
    const settings = this.services.settings();
    const reply = (fields: { overlayPng?: Uint8Array; caption?: string; message?: string }) =>
      this.send({ type: 'datasetExplanation', explanation: { requestId, relativePath, method, ...fields } });
    try {
      const result = await this.services.engine.runGradCam(
        {
          modelPath: this.modelPath,
          imagePath: this.imagePathOf(relativePath),
          preprocess: this.services.preprocessRequestFor(this.modelPath)?.mode,
          methods: [method],
          score: settings.gradCam.score,
          intensity: settings.gradCam.intensity,
          colormap: settings.gradCam.colormap,
          labelsPath: settings.gradCam.labelsPath,
          limits: settings.limits,
          inputSide: this.services.inputSideFor(this.modelPath),
        },
        {},
        abort.signal,
      );
      const { targetClass, layer } = result.info;
      reply({
        overlayPng: result.overlayPng,
        caption: `${camMethodInfo(method).label} of “${targetClass.name}” (${(100 * targetClass.score).toFixed(1)}%) at ${layer.name}`,
      });
    } catch (error) {
      if (error instanceof EngineError && error.kind === 'cancelled') return;
      reply({ message: error instanceof Error ? error.message : String(error) });
    } finally {
      if (this.explaining === abort) this.explaining = undefined;
    }
  }

  /** Asks the class of each class folder, remembers the answer for this model and folder, and runs again (from the cache). */
  private async changeMapping(): Promise<void> {
    const known = this.lastRun;
    if (!known || known.classFolders.length === 0) return;
    const chosen: Record<string, number> = {};
    for (const folder of known.classFolders) {
      const current = known.mapping.folderToClass[folder];
      const items = known.classNames.map((name, index) => ({ label: name, description: `class ${index}${index === current ? ' (now)' : ''}`, index }));
      const picked = await vscode.window.showQuickPick(items, { title: `Convscope: the class of the folder ${folder}/`, placeHolder: `Images in ${folder}/ are of class…` });
      if (!picked) return;
      chosen[folder] = picked.index;
    }
    await this.services.rememberDatasetMapping(this.modelPath, this.target.folder, chosen);
    await this.run({ folderToClass: chosen });
  }

  override dispose(): void {
    this.explaining?.abort();
    super.dispose();
  }
}
