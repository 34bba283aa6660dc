// The Grad-CAM panel: top-5 predictions, the class heatmap and its overlay on the original image;
// any control (class, layer, intensity, colormap, score) re-runs it, Export saves the images.
import * as vscode from 'vscode';
import path from 'node:path';
import type { ColormapName, GradCamRunInfo, GradCamScore, PreprocessMode } from '../../shared/types';
import type { WebviewToHostMessage } from '../../shared/protocol';
import { writeNewFile } from './exportFiles';
import { announceExport, askExportFolder } from './exportFolderDialog';
import { gradCamActionFor } from './panelMessages';
import { RunPanel, type ImageRunServices, type RunCancelled, type RunFailure } from './runPanel';

export const GRAD_CAM_VIEW_TYPE = 'convscope.gradCam';

export interface GradCamTarget {
  modelPath: string;
  imagePath: string;
  /** Omitted: the top prediction. */
  targetClass?: number | string;
  /** Omitted: the last convolution (with its BatchNorm / Activation). */
  layer?: string;
  intensity?: number;
  colormap?: ColormapName;
  score?: GradCamScore;
  preprocess?: PreprocessMode;
}

export type GradCamOutcome = { state: 'finished'; info: GradCamRunInfo } | RunFailure | RunCancelled;

export type GradCamPanelServices = ImageRunServices;

export class GradCamPanel extends RunPanel {
  private lastResult: { info: GradCamRunInfo; heatmapPng: Uint8Array; overlayPng: Uint8Array } | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly gradCamServices: GradCamPanelServices,
    private target: GradCamTarget,
  ) {
    super(panel, gradCamServices, 'gradcam', target.modelPath);
  }

  static create(services: GradCamPanelServices, target: GradCamTarget): GradCamPanel {
    return new GradCamPanel(RunPanel.createWebviewPanel(GRAD_CAM_VIEW_TYPE, 'Convscope', services), services, target);
  }

  get currentTarget(): Readonly<GradCamTarget> {
    return this.target;
  }

  run(changes: Partial<GradCamTarget> = {}): Promise<GradCamOutcome> {
    this.target = { ...this.target, ...changes };
    const settings = this.services.settings();
    const { modelPath, imagePath } = this.target;
    const intensity = this.target.intensity ?? settings.gradCam.intensity;
    const colormap = this.target.colormap ?? settings.gradCam.colormap;
    const score = this.target.score ?? settings.gradCam.score;
    this.panel.title = `Grad-CAM: ${path.basename(imagePath)}`;
    this.lastResult = undefined;
    return this.startRun(`Convscope: explaining ${path.basename(imagePath)}`, async (run) => {
      const result = await this.services.engine.runGradCam(
        {
          modelPath,
          imagePath,
          preprocess: this.target.preprocess ?? this.gradCamServices.preprocessFor(modelPath),
          layer: this.target.layer,
          targetClass: this.target.targetClass,
          score,
          intensity,
          colormap,
          labelsPath: settings.gradCam.labelsPath,
          limits: settings.limits,
          inputSide: this.gradCamServices.inputSideFor(modelPath),
        },
        {
          onStarted: (summary, layerChoices) =>
            run.post({
              type: 'gradCamSession',
              session: { runId: run.runId, modelPath, modelName: summary.modelName, imagePath, layerChoices, intensity, colormap, score },
            }),
          onProgress: (done, total, message) => run.progress(done, total, 'steps', message),
        },
        run.signal,
      );
      const view = { info: result.info, heatmapPng: result.heatmapPng, overlayPng: result.overlayPng };
      if (run.isCurrent()) this.lastResult = view;
      run.post({ type: 'gradCamResult', runId: run.runId, result: view });
      const { timings } = result.info;
      run.status({
        state: 'finished',
        backend: result.info.backend,
        timings: [
          { label: 'Grad-CAM', ms: timings.gradCamMs },
          { label: 'render', ms: timings.renderMs },
          { label: 'model load', ms: timings.loadModelMs },
          { label: 'image read', ms: timings.readImageMs },
        ],
        details: [
          ...(result.info.outputName !== undefined ? [`output ${result.info.outputName}`] : []),
          `layer ${result.info.layer.name}`,
          `score ${result.info.score}`,
          `heatmap ${result.info.heatmapSize[1]} × ${result.info.heatmapSize[0]}`,
        ],
      });
      return { state: 'finished', info: result.info } as const;
    });
  }

  protected async onViewMessage(message: WebviewToHostMessage): Promise<void> {
    const action = gradCamActionFor(message);
    if (action?.action === 'rerun') await this.run(action.change);
    else if (action?.action === 'export') await this.exportImages();
  }

  /**
   * Writes the overlay and the heatmap as PNGs in a folder the user picks (the image's folder
   * first), under new names: an existing file is never overwritten. Resolves to the files written.
   */
  async exportImages(folder?: string): Promise<string[]> {
    const result = this.lastResult;
    if (!result) return [];
    const { imagePath } = this.target;
    const target = folder ?? (await askExportFolder('Convscope: Export Grad-CAM Images To', imagePath, this.services.extensionUri.fsPath));
    if (!target) return [];
    const className = result.info.targetClass.name.replace(/[^A-Za-z0-9._-]+/g, '_');
    const base = `${path.parse(imagePath).name}-gradcam-${className}`;
    const files = [await writeNewFile(target, `${base}-overlay.png`, result.overlayPng), await writeNewFile(target, `${base}-heatmap.png`, result.heatmapPng)];
    this.services.log.info(`Exported the Grad-CAM overlay and heatmap to ${target}`);
    announceExport(`Convscope: saved ${files.map((file) => path.basename(file)).join(' and ')}`, files[0]);
    return files;
  }
}
