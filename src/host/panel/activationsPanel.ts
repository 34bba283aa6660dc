// The activations panel: every channel of the chosen layers for one image, streamed layer by
// layer, with channels enlarged on request, a colormap remembered per model, and Export to PNGs.
import * as vscode from 'vscode';
import path from 'node:path';
import { formatShape } from '../../shared/shapes';
import type { ActivationRunInfo, ColormapName, LayerActivationImage, LayerSelection, PreprocessMode } from '../../shared/types';
import type { WebviewToHostMessage } from '../../shared/protocol';
import { activationExportFileName } from './activationExport';
import { announceExport, askExportFolder } from './exportFolderDialog';
import { writeNewFile } from './exportFiles';
import { ImageRunPanel, type ImageRunServices, type ImageTarget } from './imageRunPanel';
import { activationsActionFor } from './panelMessages';
import type { RunCancelled, RunFailure } from './runPanel';

export const ACTIVATIONS_VIEW_TYPE = 'convscope.visualization';

export interface ActivationsTarget extends ImageTarget {
  layers?: LayerSelection;
  /** Omitted: the one remembered for the model, else the `convscope.colormap` setting. */
  colormap?: ColormapName;
}

export type ActivationsOutcome = { state: 'finished'; info: ActivationRunInfo; layers: LayerActivationImage[] } | RunFailure | RunCancelled;

export interface ActivationsPanelServices extends ImageRunServices {
  rememberPreprocess(modelPath: string, mode: PreprocessMode): Thenable<void>;
  /** The colormap the user last chose for a model in the toolbar, if any (it overrides the setting). */
  colormapFor(modelPath: string): ColormapName | undefined;
  rememberColormap(modelPath: string, colormap: ColormapName): Thenable<void>;
  /** Layers… in the toolbar, answered with the host's picker. */
  chooseLayers(panel: ActivationsPanel): Promise<void>;
}

const THUMBNAIL_SIZE = 160;

export class ActivationsPanel extends ImageRunPanel<ActivationsTarget, ActivationsOutcome> {
  /** The worker's id for the latest run, whose outputs channels are enlarged from. */
  private jobId: number | undefined;
  private layerIndices: number[] = [];
  /** The latest run's colormap (channels are enlarged with it) and the grids it drew, for Export. */
  private runColormap: ColormapName | undefined;
  private renderedLayers: LayerActivationImage[] = [];

  constructor(
    panel: vscode.WebviewPanel,
    private readonly activationServices: ActivationsPanelServices,
    target: ActivationsTarget,
  ) {
    super(panel, activationServices, 'activations', target);
  }

  /** The layer indices the latest run showed. */
  get shownLayerIndices(): number[] {
    return this.layerIndices;
  }

  protected runTarget(): Promise<ActivationsOutcome> {
    const { modelPath, imagePath } = this.target;
    this.panel.title = `Activations: ${path.basename(imagePath)}`;
    const settings = this.services.settings();
    const colormap = this.target.colormap ?? this.activationServices.colormapFor(modelPath) ?? settings.colormap;
    const preprocess = this.preprocessRequest();
    this.runColormap = colormap;
    this.renderedLayers = [];
    const title = `Convscope: activations of ${path.basename(path.dirname(modelPath))} on ${path.basename(imagePath)}`;
    return this.startRun(title, async (run) => {
      const shown: LayerActivationImage[] = [];
      let total = 0;
      const result = await this.services.engine.runActivations(
        {
          modelPath,
          imagePath,
          layers: this.target.layers ?? { first: settings.layerCount },
          preprocess: preprocess?.mode,
          colormap,
          imagesPerRow: settings.imagesPerRow,
          limits: settings.limits,
          thumbnailSize: THUMBNAIL_SIZE,
          inputSide: this.activationServices.inputSideFor(modelPath),
        },
        {
          onStarted: (start) => {
            if (!run.isCurrent()) return;
            this.jobId = start.jobId;
            this.layerIndices = start.layerIndices;
            total = start.layerIndices.length;
            const layers = start.layerIndices.map((index) => start.summary.layers[index]);
            run.post({
              type: 'session',
              session: {
                runId: run.runId,
                modelPath,
                modelName: start.summary.modelName,
                imagePath,
                imageThumbnail: start.thumbnail && { bytes: start.thumbnail, mimeType: 'image/png' },
                preprocess: start.preprocess,
                preprocessReason: preprocess?.reason ?? start.summary.preprocessReason ?? 'the model’s default',
                colormap,
                imagesPerRow: settings.imagesPerRow,
                layers,
              },
            });
            run.progress(0, total, 'layers', 'Running the model');
          },
          onLayer: (layer) => {
            shown.push(layer);
            if (run.isCurrent()) this.renderedLayers.push(layer);
            run.post({ type: 'layer', runId: run.runId, layer });
            run.progress(shown.length, total, 'layers', `Rendered ${layer.layerName}`);
          },
        },
        run.signal,
      );
      const { timings } = result.info;
      run.status({
        state: 'finished',
        backend: result.info.backend,
        timings: [
          { label: 'forward', ms: timings.forwardMs },
          { label: 'render', ms: timings.renderMs },
          { label: 'model load', ms: timings.loadModelMs },
          { label: 'image read', ms: timings.readImageMs },
        ],
        details: [`input ${formatShape([null, ...result.info.inputSize])}`, `preprocess ${result.info.preprocess}`, `${shown.length} layers`],
      });
      this.services.log.info(`Activations of ${modelPath} on ${imagePath}: ${shown.length} layers on ${result.info.backend} (forward ${timings.forwardMs.toFixed(0)} ms)`);
      return { state: 'finished', info: result.info, layers: shown } as const;
    });
  }

  protected async onRunMessage(message: WebviewToHostMessage): Promise<void> {
    const action = activationsActionFor(message);
    switch (action?.action) {
      case 'sendChannel':
        await this.sendChannel(action.requestId, action.runId, action.layerIndex, action.channel);
        return;
      case 'sendChannelStats':
        await this.sendChannelStats(action.requestId, action.runId, action.layerIndex, action.channel);
        return;
      case 'chooseLayers':
        await this.activationServices.chooseLayers(this);
        return;
      case 'rerunRemembering': {
        const { change } = action;
        if ('preprocess' in change) await this.activationServices.rememberPreprocess(this.target.modelPath, change.preprocess);
        else await this.activationServices.rememberColormap(this.target.modelPath, change.colormap);
        await this.run(change);
        return;
      }
      case 'export':
        await this.exportGrids();
        return;
      case undefined:
        return;
    }
  }

  /**
   * Writes each grid the latest run drew as a PNG in a folder the user picks (the image's folder
   * first), under new names: an existing file is never overwritten. Resolves to the files written.
   */
  async exportGrids(folder?: string): Promise<string[]> {
    const layers = this.renderedLayers;
    if (layers.length === 0) {
      void vscode.window.showInformationMessage('Convscope: nothing to export yet; wait for a layer to be drawn.');
      return [];
    }
    const { imagePath } = this.target;
    const target = folder ?? (await askExportFolder('Convscope: Export Activation Grids To', imagePath, this.services.extensionUri.fsPath));
    if (!target) return [];
    const files: string[] = [];
    for (const layer of layers) files.push(await writeNewFile(target, activationExportFileName(imagePath, layer), layer.png));
    this.services.log.info(`Exported ${files.length} activation grids to ${target}`);
    announceExport(`Convscope: saved ${files.length} activation grid${files.length === 1 ? '' : 's'} to ${target}`, files[0]);
    return files;
  }

  /** Enlarges a channel of the latest run (its outputs stay in the worker until the next run). */
  private async renderChannel(runId: number, layerIndex: number, channel: number) {
    if (runId !== this.currentRunId || this.jobId === undefined) throw new Error('This run is no longer current; enlarge a channel of the latest run.');
    const colormap = this.runColormap ?? this.services.settings().colormap;
    return this.services.engine.renderChannel({ jobId: this.jobId, layerIndex, channel, colormap });
  }

  private async sendChannel(requestId: number, runId: number, layerIndex: number, channel: number): Promise<void> {
    try {
      this.send({ type: 'channel', requestId, channel: await this.renderChannel(runId, layerIndex, channel) });
    } catch (error) {
      this.send({ type: 'channelFailed', requestId, message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** The tooltip's numbers: a stale or failed request gets no answer, and the tooltip keeps what it knows. */
  private async sendChannelStats(requestId: number, runId: number, layerIndex: number, channel: number): Promise<void> {
    try {
      const { min, max, mean, dead } = await this.renderChannel(runId, layerIndex, channel);
      this.send({ type: 'channelStats', requestId, stats: { layerIndex, channel, min, max, mean, dead } });
    } catch (error) {
      this.services.log.debug(`No statistics for channel ${channel} of layer ${layerIndex}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
