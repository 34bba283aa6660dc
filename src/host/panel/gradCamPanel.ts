// The Grad-CAM panel: top-5 predictions, the class heatmap and its overlay on the original image;
// any control (class, layer, intensity, colormap, score) re-runs it, Export saves the images.
import * as vscode from 'vscode';
import path from 'node:path';
import type { ColormapName, GradCamRunInfo, GradCamScore } from '../../shared/types';
import type { WebviewToHostMessage } from '../../shared/protocol';
import { writeNewFile } from './exportFiles';
import { announceExport, askExportFolder } from './exportFolderDialog';
import { readImageThumbnail } from './imageFiles';
import { ImageRunPanel, type ImageRunServices, type ImageTarget } from './imageRunPanel';
import { gradCamActionFor } from './panelMessages';
import type { RunCancelled, RunFailure, TargetChanges } from './runPanel';

export const GRAD_CAM_VIEW_TYPE = 'convscope.gradCam';

export interface GradCamTarget extends ImageTarget {
  /** Omitted: the top prediction. */
  targetClass?: number | string;
  /** Omitted: the last convolution (with its BatchNorm / Activation). */
  layer?: string;
  intensity?: number;
  colormap?: ColormapName;
  score?: GradCamScore;
}

export type GradCamOutcome = { state: 'finished'; info: GradCamRunInfo } | RunFailure | RunCancelled;

export type GradCamPanelServices = ImageRunServices;

export class GradCamPanel extends ImageRunPanel<GradCamTarget, GradCamOutcome> {
  private lastResult: { info: GradCamRunInfo; heatmapPng: Uint8Array; overlayPng: Uint8Array } | undefined;

  constructor(panel: vscode.WebviewPanel, services: GradCamPanelServices, target: GradCamTarget) {
    super(panel, services, 'gradcam', target);
  }

  /** A new image is explained for its own top prediction. */
  protected changesForImage(imagePath: string): TargetChanges<GradCamTarget> {
    return { imagePath, targetClass: undefined };
  }

  protected runTarget(): Promise<GradCamOutcome> {
    const settings = this.services.settings();
    const { modelPath, imagePath } = this.target;
    const intensity = this.target.intensity ?? settings.gradCam.intensity;
    const colormap = this.target.colormap ?? settings.gradCam.colormap;
    const score = this.target.score ?? settings.gradCam.score;
    const preprocess = this.preprocessRequest();
    this.panel.title = `Grad-CAM: ${path.basename(imagePath)}`;
    this.lastResult = undefined;
    return this.startRun(`Convscope: explaining ${path.basename(imagePath)}`, async (run) => {
      // The engine's Grad-CAM job makes no thumbnail: the header shows the file itself, scaled down.
      const imageThumbnail = await readImageThumbnail(imagePath);
      const result = await this.services.engine.runGradCam(
        {
          modelPath,
          imagePath,
          preprocess: preprocess?.mode,
          layer: this.target.layer,
          targetClass: this.target.targetClass,
          score,
          intensity,
          colormap,
          labelsPath: settings.gradCam.labelsPath,
          limits: settings.limits,
          inputSide: this.imageServices.inputSideFor(modelPath),
        },
        {
          onStarted: (summary, layerChoices) =>
            run.post({
              type: 'gradCamSession',
              session: {
                runId: run.runId,
                modelPath,
                modelName: summary.modelName,
                imagePath,
                imageThumbnail,
                preprocess: preprocess?.mode ?? summary.defaultPreprocess,
                preprocessReason: preprocess?.reason ?? summary.preprocessReason ?? 'the model’s default',
                layerChoices,
                intensity,
                colormap,
                score,
              },
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
      this.services.log.info(`Grad-CAM of ${modelPath} on ${imagePath}: ${result.info.targetClass.name} at ${result.info.layer.name} on ${result.info.backend} (${timings.gradCamMs.toFixed(0)} ms)`);
      return { state: 'finished', info: result.info } as const;
    });
  }

  protected async onRunMessage(message: WebviewToHostMessage): Promise<void> {
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
