// The Explain Prediction panel: top-5 predictions, the class heatmap and its overlay on the original
// image, by Grad-CAM or another CAM method, several side by side (methods, layers or classes); any
// control (methods, class, layer, intensity, colormap, score) re-runs it, Export saves the images.
import * as vscode from 'vscode';
import path from 'node:path';
import type { GradCamRunInfo } from '../../shared/types';
import type { ExplainChoices, GradCamResultView, WebviewToHostMessage } from '../../shared/protocol';
import { DEFAULT_CAM_METHOD } from '../../shared/camMethods';
import { writeNewFile } from './exportFiles';
import { announceExport, askExportFolder } from './exportFolderDialog';
import { readImageThumbnail } from './imageFiles';
import { ImageRunPanel, type ImageRunServices, type ImageTarget } from './imageRunPanel';
import { gradCamActionFor } from './panelMessages';
import type { RunCancelled, RunFailure, TargetChanges } from './runPanel';

export const GRAD_CAM_VIEW_TYPE = 'convscope.gradCam';

export interface GradCamTarget extends ImageTarget, ExplainChoices {}

export type GradCamOutcome = { state: 'finished'; info: GradCamRunInfo } | RunFailure | RunCancelled;

export type GradCamPanelServices = ImageRunServices;

export class GradCamPanel extends ImageRunPanel<GradCamTarget, GradCamOutcome> {
  private lastResult: GradCamResultView | undefined;

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
    const methods = this.target.methods?.length ? this.target.methods : [DEFAULT_CAM_METHOD];
    const compareLayers = this.target.compareLayers ?? [];
    const compareClasses = this.target.compareClasses ?? [];
    const faithfulness = this.target.faithfulness ?? false;
    const preprocess = this.preprocessRequest();
    this.panel.title = `Explain Prediction: ${path.basename(imagePath)}`;
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
          methods,
          compareLayers,
          compareClasses,
          faithfulness,
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
                methods,
                compareLayers,
                compareClasses,
                faithfulness,
              },
            }),
          onProgress: (done, total, message) => run.progress(done, total, 'steps', message),
          onMap: (map, index, total) => {
            if (total > 1) run.post({ type: 'gradCamMap', runId: run.runId, index, total, map: { info: map.info, heatmapPng: map.heatmapPng, overlayPng: map.overlayPng } });
          },
        },
        run.signal,
      );
      const maps = result.maps.map((map) => ({ info: map.info, heatmapPng: map.heatmapPng, overlayPng: map.overlayPng }));
      const view: GradCamResultView = { info: result.info, heatmapPng: result.heatmapPng, overlayPng: result.overlayPng, maps };
      if (run.isCurrent()) this.lastResult = view;
      run.post({ type: 'gradCamResult', runId: run.runId, result: view });
      const { timings } = result.info;
      run.status({
        state: 'finished',
        backend: result.info.backend,
        timings: [
          { label: methods.length > 1 ? 'maps' : 'map', ms: timings.gradCamMs },
          { label: 'render', ms: timings.renderMs },
          { label: 'model load', ms: timings.loadModelMs },
          { label: 'image read', ms: timings.readImageMs },
        ],
        details: [
          ...(result.info.outputName !== undefined ? [`output ${result.info.outputName}`] : []),
          `layer ${result.info.layer.name}`,
          `score ${result.info.score}`,
          `heatmap ${result.info.heatmapSize[1]} × ${result.info.heatmapSize[0]}`,
          ...(maps.length > 1 ? [`${maps.length} maps side by side`] : []),
        ],
      });
      this.services.log.info(`${methods.join(', ')} of ${modelPath} on ${imagePath}: ${result.info.targetClass.name} at ${result.info.layer.name} on ${result.info.backend} (${timings.gradCamMs.toFixed(0)} ms)`);
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
    const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_');
    const maps = result.maps ?? [{ info: { method: result.info.method ?? DEFAULT_CAM_METHOD, layer: result.info.layer, targetClass: result.info.targetClass }, heatmapPng: result.heatmapPng, overlayPng: result.overlayPng }];
    const files: string[] = [];
    for (const map of maps) {
      // One map keeps the names it always had; side by side, each name says its layer too.
      const layer = maps.length > 1 ? `-${safe(map.info.layer.name)}` : '';
      const base = `${path.parse(imagePath).name}-${map.info.method}${layer}-${safe(map.info.targetClass.name)}`;
      files.push(await writeNewFile(target, `${base}-overlay.png`, map.overlayPng), await writeNewFile(target, `${base}-heatmap.png`, map.heatmapPng));
    }
    this.services.log.info(`Exported ${maps.length > 1 ? `${maps.length} maps' overlays and heatmaps` : 'the overlay and heatmap'} to ${target}`);
    announceExport(`Convscope: saved ${files.map((file) => path.basename(file)).join(' and ')}`, files[0]);
    return files;
  }
}
